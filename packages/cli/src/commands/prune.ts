/** `imagedrift prune --policy …`: remove images from node caches by policy, and follow the job. */

import { type JobRequest, PRUNE_MODES, type PrunePolicy } from "@imagedrift/core";
import { Option } from "commander";
import type { DefineCommand } from "./command.js";
import { helpEpilogue } from "./command.js";
import { durationFlag, percentFlag, repeatable } from "./flags.js";
import { addJobOptions, JOB_HELP_NOTES, type JobFlags, jobTargeting, startRemovingJob, YES_HELP } from "./job-run.js";

export interface PruneFlags extends JobFlags {
  policy: PrunePolicy["mode"];
  include?: string[];
  exclude?: string[];
  keep?: string[];
  olderThan?: number;
  targetUsagePercent?: number;
  allowUnrecoverable?: boolean;
  yes?: boolean;
}

/** The policy from the flags; absent flags stay absent. */
export function prunePolicy(flags: PruneFlags): PrunePolicy {
  const policy: PrunePolicy = { mode: flags.policy };
  if (flags.include !== undefined) policy.include = flags.include;
  if (flags.exclude !== undefined) policy.exclude = flags.exclude;
  if (flags.keep !== undefined) policy.keep = flags.keep;
  if (flags.olderThan !== undefined) policy.olderThanMs = flags.olderThan;
  if (flags.targetUsagePercent !== undefined) policy.targetUsagePercent = flags.targetUsagePercent;
  return policy;
}

export function pruneRequest(flags: PruneFlags): JobRequest {
  const request: JobRequest = { type: "prune", policy: prunePolicy(flags), ...jobTargeting(flags) };
  if (flags.allowUnrecoverable) request.allowUnrecoverable = true;
  return request;
}

export const definePrune: DefineCommand = (program, execute) => {
  const command = program
    .command("prune")
    .summary("remove images from node caches by policy")
    .description(
      [
        "Start a prune job. --policy dangling removes images without a tag, unused removes images no container uses, stale removes images whose tag moved on in the registry.",
        "Never removed, whatever the policy: images any container uses (in any state), pinned and sandbox (pause) images, images matching --keep, and images a prepull or refresh wants while it is pending or running, or for an hour after it succeeded (or was partial). Dry-run, failed and cancelled prepulls protect nothing. The agent checks right before each removal.",
        'Nor, unless --allow-unrecoverable, an image no registry is known to give back: never pushed (no repo digest), deleted from its registry (404), its registry unresolved (down, auth error), or an old version (its tag moved on) whose digest the registry answers 404 for. The collector asks the registry by digest about old versions right before each removal. Such images are listed as kept, "only copy: no registry has this image" or "maybe the only copy: …".',
        "On a terminal (stdin and stdout), the job first runs as a dry run and, if it would remove something, shows the plan and asks y/N before the real run (--yes skips the question). Without a terminal it runs at once.",
        "Patterns are globs over normalised references (docker.io/library/nginx:1.27): * within a path segment, ** across. Run with --dry-run first: it lists what would go and the bytes.",
      ].join("\n\n"),
    )
    .addOption(new Option("--policy <policy>", "which images may go").choices(PRUNE_MODES).makeOptionMandatory())
    .option("--include <pattern>", "only images matching this pattern (repeatable)", repeatable("--include"))
    .option("--exclude <pattern>", "leave images matching this pattern (repeatable)", repeatable("--exclude"))
    .option("--keep <pattern>", "never remove images matching this pattern (repeatable)", repeatable("--keep"))
    .option(
      "--older-than <duration>",
      "only images unused for at least this long, e.g. 7d",
      durationFlag("--older-than"),
    )
    .option(
      "--target-usage-percent <percent>",
      "remove least recently used first, only until image filesystem usage is below this, e.g. 80",
      percentFlag("--target-usage-percent"),
    )
    .option("--allow-unrecoverable", "also remove images no registry is known to give back (the only copy)")
    .option("-y, --yes", YES_HELP);
  addJobOptions(command)
    .addHelpText(
      "after",
      helpEpilogue(
        [
          "imagedrift prune --policy dangling --dry-run",
          "imagedrift prune --policy unused --older-than 7d --keep 'registry.example.com/base/**'",
          "imagedrift prune --policy unused --target-usage-percent 80 --selector pool=build",
        ],
        JOB_HELP_NOTES,
      ),
    )
    .action((flags: PruneFlags) =>
      execute((client, view, live) =>
        startRemovingJob(client, pruneRequest(flags), { view, live, wait: flags.wait, yes: flags.yes === true }),
      ),
    );
};
