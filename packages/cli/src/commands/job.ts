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

export async function jobCommand(
  client: CollectorClient,
  id: string,
  options: { view: ViewOptions; live: LiveIo; follow: boolean },
): Promise<CommandResult> {
  if (options.follow) return followAndReport(client, id, options);
  const job = await client.getJob(id);
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
    .argument("<id>", "job id, as the job commands and `imagedrift jobs` print it")
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
