/** `imagedrift refresh [REF...]`: pull stale or inconsistent tags again where nodes hold another digest. */

import type { JobRequest } from "@imagedrift/core";
import { ImagedriftError, parseImageRef, tagOf } from "@imagedrift/core";
import { Option } from "commander";
import type { DefineCommand } from "./command.js";
import { helpEpilogue } from "./command.js";
import {
  addJobOptions,
  JOB_HELP_NOTES,
  type JobFlags,
  jobTargeting,
  startJob,
  startRemovingJob,
  YES_HELP,
} from "./job-run.js";

interface RefreshFlags extends JobFlags {
  removeReplaced?: boolean;
  allowUnrecoverable?: boolean;
  yes?: boolean;
}

/** `name:tag` → `host/repository:tag`; a digest has nothing to refresh, so it is refused. */
export function refreshReference(input: string): string {
  const ref = parseImageRef(input);
  const tag = tagOf(ref);
  if (tag === null || ref.digest !== null) {
    throw new ImagedriftError(
      "invalid-reference",
      `invalid reference ${JSON.stringify(input)}: refresh pulls a tag again to the registry's digest, so give name:tag without @digest`,
    );
  }
  return tag;
}

/** Without REF the request names no image: the collector takes every stale or inconsistent tag it can refresh. */
export function refreshRequest(references: readonly string[], flags: RefreshFlags): JobRequest {
  const request: JobRequest = { type: "refresh", ...jobTargeting(flags) };
  if (references.length > 0) request.images = [...new Set(references.map(refreshReference))];
  if (flags.removeReplaced) request.removeReplaced = true;
  if (flags.allowUnrecoverable) {
    if (!flags.removeReplaced) {
      throw new ImagedriftError("invalid-argument", "--allow-unrecoverable goes with --remove-replaced only");
    }
    request.allowUnrecoverable = true;
  }
  return request;
}

export const defineRefresh: DefineCommand = (program, execute) => {
  const command = program
    .command("refresh")
    .summary("pull stale or inconsistent tags again on the nodes")
    .description(
      [
        "Start a refresh job: for each REF (a tag), every selected node holding another digest than the registry's pulls the tag again. Without REF, every tag `imagedrift tags` shows as stale or inconsistent whose registry digest is known.",
        "--remove-replaced then removes the image the tag pointed at before, where no container uses it and its registry still has it (asked by digest right before the removal); a replaced image the registry answers 404 for, or does not answer about, is kept as the only copy unless --allow-unrecoverable. Pods keep running what they started with: restart them to run the refreshed image.",
        "With --remove-replaced on a terminal (stdin and stdout), the job first runs as a dry run and, if it would remove something, shows the plan and asks y/N before the real run (--yes skips the question). Without a terminal it runs at once.",
      ].join("\n\n"),
    )
    .argument(
      "[ref...]",
      "tags to refresh, e.g. registry.example.com/team/app:latest (default: every stale or inconsistent tag)",
    )
    .addOption(new Option("--remove-replaced", "remove the image each tag pointed at before, when nothing uses it"))
    .option(
      "--allow-unrecoverable",
      "with --remove-replaced: also remove replaced images no registry is known to give back",
    )
    .option("-y, --yes", YES_HELP);
  addJobOptions(command)
    .addHelpText(
      "after",
      helpEpilogue(
        [
          "imagedrift refresh registry.example.com/team/app:latest",
          "imagedrift refresh --dry-run                       # what every stale tag would take",
          "imagedrift refresh --remove-replaced --selector pool=web",
        ],
        JOB_HELP_NOTES,
      ),
    )
    .action((references: string[], flags: RefreshFlags) =>
      execute((client, view, live) => {
        const request = refreshRequest(references, flags);
        const options = { view, live, wait: flags.wait };
        if (!flags.removeReplaced) return startJob(client, request, options);
        return startRemovingJob(client, request, { ...options, yes: flags.yes === true });
      }),
    );
};
