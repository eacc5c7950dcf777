/** `imagedrift job ID`: one job in detail, or followed to its end with --follow. */
import { ImagedriftError } from "@imagedrift/core";
import type { CollectorClient } from "../client.js";
import { jobDetail } from "../format/job-table.js";
import { renderOutput } from "../format/output.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type LiveIo, type ViewOptions } from "./command.js";
import { followAndReport, JOB_HELP_NOTES } from "./job-run.js";

export function checkJobId(id: string): string {
  const trimmed = id.trim();
  if (trimmed === "")
    throw new ImagedriftError("invalid-argument", "a job id must not be empty (see `imagedrift jobs`)");
  return trimmed;
}

/** A whole job id as the collector makes them (a UUID): used as given, without looking it up. */
const FULL_JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How many of the newest jobs a prefix is looked up in: the most the collector lists at once. */
const JOBS_SEARCHED = 1000;

/**
 * The job an id or a unique prefix of one names (as git and docker take
 * them): `7f3a9c` for `7f3a9c1e-…`. A whole id is used as is; anything else
 * is looked up among the newest jobs, an exact id first.
 */
export async function resolveJobId(client: CollectorClient, input: string): Promise<string> {
  if (FULL_JOB_ID.test(input)) return input;
  const jobs = await client.listJobs({ limit: JOBS_SEARCHED });
  if (jobs.some((job) => job.id === input)) return input;
  const wanted = input.toLowerCase();
  const matches = jobs.filter((job) => job.id.toLowerCase().startsWith(wanted));
  const [only] = matches;
  if (only !== undefined && matches.length === 1) return only.id;
  if (matches.length === 0) {
    throw new ImagedriftError(
      "not-found",
      `no job id starts with ${JSON.stringify(input)} among the ${jobs.length} newest jobs (see \`imagedrift jobs\`)`,
    );
  }
  const listed = matches.map((job) => `  ${job.id}  ${job.type} ${job.state}, created ${job.createdAt}`);
  throw new ImagedriftError(
    "invalid-argument",
    `job id ${JSON.stringify(input)} is ambiguous: ${matches.length} jobs start with it; give more of the id:\n${listed.join("\n")}`,
  );
}

export async function jobCommand(
  client: CollectorClient,
  id: string,
  options: { view: ViewOptions; live: LiveIo; follow: boolean },
): Promise<CommandResult> {
  const jobId = await resolveJobId(client, id);
  if (options.follow) return followAndReport(client, jobId, options);
  const job = await client.getJob(jobId);
  return { exitCode: 0, output: renderOutput(job, options.view.output, (value) => jobDetail(value, options.view)) };
}

export const defineJob: DefineCommand = (program, execute) => {
  program
    .command("job")
    .summary("show one job, or follow it to its end")
    .description(
      [
        "Show job ID: what it was asked to do, its state, and per node the state, what was pulled or removed, the bytes reclaimed and the last message.",
        "With --follow, wait for the job to finish, showing progress, and exit like the command that started it: 0 when it succeeded, 1 when it failed, was partial or was cancelled. Without --follow, exit 0 whatever the job's state.",
      ].join("\n\n"),
    )
    .argument("<id>", "job id, or any unique prefix of it, as the job commands and `imagedrift jobs` print it")
    .option("--follow", "wait for the job to finish, showing progress")
    .addHelpText(
      "after",
      helpEpilogue(
        ["imagedrift job 7f3a9c", "imagedrift job 7f3a9c --follow", "imagedrift job 7f3a9c -o yaml"],
        JOB_HELP_NOTES,
      ),
    )
    .action((id: string, flags: { follow?: boolean }) => {
      const jobId = checkJobId(id);
      return execute((client, view, live) => jobCommand(client, jobId, { view, live, follow: flags.follow === true }));
    });
};
