/** `imagedrift jobs`: the collector's jobs, newest as the collector orders them. */

import { JOB_STATES, type JobItem, type JobState } from "@imagedrift/core";
import { Option } from "commander";
import type { CollectorClient } from "../client.js";
import { jobsTable } from "../format/job-table.js";
import { renderOutput } from "../format/output.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type ViewOptions } from "./command.js";

export interface JobsOptions extends ViewOptions {
  state?: JobState;
}

export async function jobsCommand(client: CollectorClient, options: JobsOptions): Promise<CommandResult> {
  const { state } = options;
  const all = await client.listJobs(state === undefined ? {} : { state });
  // The collector filters by ?state=; filtering again keeps the promise if one does not.
  const jobs: JobItem[] = state === undefined ? all : all.filter((job) => job.state === state);
  return { exitCode: 0, output: renderOutput(jobs, options.output, (items) => jobsTable(items, options)) };
}

export const defineJobs: DefineCommand = (program, execute) => {
  program
    .command("jobs")
    .summary("list prepull, refresh and prune jobs")
    .description(
      "List the collector's jobs: id, type, state, nodes done of all (and how many failed), when it was created, how long it took, and what it pulls or prunes.",
    )
    .addOption(new Option("--state <state>", "only jobs in this state").choices(JOB_STATES))
    .addHelpText(
      "after",
      helpEpilogue(["imagedrift jobs", "imagedrift jobs --state running", "imagedrift jobs -o json | jq -r '.[].id'"]),
    )
    .action((flags: { state?: JobState }) => execute((client, view) => jobsCommand(client, { ...view, ...flags })));
};
