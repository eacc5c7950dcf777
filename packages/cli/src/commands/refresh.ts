/** `imagedrift refresh [REF...]`: pull stale or inconsistent tags again where nodes hold another digest. */
import { ImagedriftError, parseImageRef, tagOf } from "@imagedrift/core";
import { Option } from "commander";
import type { JobRequest } from "../api-types.js";
import type { DefineCommand } from "./command.js";
import { helpEpilogue } from "./command.js";
import { addJobOptions, JOB_HELP_NOTES, type JobFlags, jobTargeting, startJob } from "./job-run.js";

interface RefreshFlags extends JobFlags {
  removeReplaced?: boolean;
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
  return request;
}

export const defineRefresh: DefineCommand = (program, execute) => {
  const command = program
    .command("refresh")
    .summary("pull stale or inconsistent tags again on the nodes")
    .description(
      [
        "Start a refresh job: for each REF (a tag), every selected node holding another digest than the registry's pulls the tag again. Without REF, every tag `imagedrift tags` shows as stale or inconsistent whose registry digest is known.",
        "--remove-replaced then removes the image the tag pointed at before, where no container uses it. Pods keep running what they started with: restart them to run the refreshed image.",
      ].join("\n\n"),
    )
    .argument(
      "[ref...]",
      "tags to refresh, e.g. registry.example.com/team/app:latest (default: every stale or inconsistent tag)",
    )
    .addOption(new Option("--remove-replaced", "remove the image each tag pointed at before, when nothing uses it"));
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
      execute((client, view, live) =>
        startJob(client, refreshRequest(references, flags), { view, live, wait: flags.wait }),
      ),
    );
};
