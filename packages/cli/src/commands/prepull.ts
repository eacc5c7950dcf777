/** `imagedrift prepull REF...`: make images present on a set of nodes, and follow the job. */

import type { JobRequest } from "@imagedrift/core";
import { normalizeImageRef } from "@imagedrift/core";
import type { DefineCommand } from "./command.js";
import { helpEpilogue } from "./command.js";
import { addJobOptions, JOB_HELP_NOTES, type JobFlags, jobTargeting, startJob } from "./job-run.js";

/** Normalises and checks each reference before anything is sent; throws naming the bad one and the rule. */
export function prepullRequest(references: readonly string[], flags: JobFlags): JobRequest {
  const images = [...new Set(references.map(normalizeImageRef))];
  return { type: "prepull", images, ...jobTargeting(flags) };
}

export const definePrepull: DefineCommand = (program, execute) => {
  const command = program
    .command("prepull")
    .summary("pull images onto nodes ahead of a rollout")
    .description(
      [
        "Start a prepull job: every selected node pulls each REF (tag or digest) unless it already holds it, and reports the digest it got, checked against the registry's.",
        "Nodes are those of --nodes and --selector, else every reporting node; --concurrency of them work at once. Waits for the job and shows its progress, or prints its id with --no-wait.",
      ].join("\n\n"),
    )
    .argument("<ref...>", "image references, e.g. nginx:1.27 or registry.example.com/team/app:2.4.1");
  addJobOptions(command)
    .addHelpText(
      "after",
      helpEpilogue(
        [
          "imagedrift prepull registry.example.com/team/app:2.4.1",
          "imagedrift prepull nginx:1.27 redis:7 --selector pool=web --concurrency 5",
          "imagedrift prepull app:2.5.0 --nodes worker-1,worker-2 --dry-run",
          "ID=$(imagedrift prepull app:2.5.0 --no-wait) && imagedrift job $ID --follow",
        ],
        JOB_HELP_NOTES,
      ),
    )
    .action((references: string[], flags: JobFlags) =>
      execute((client, view, live) =>
        startJob(client, prepullRequest(references, flags), { view, live, wait: flags.wait }),
      ),
    );
};
