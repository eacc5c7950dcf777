/** `imagedrift cancel ID`: ask the collector to cancel a job (DELETE /api/v1/jobs/{id}). */
import type { CollectorClient } from "../client.js";
import { renderOutput } from "../format/output.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type ViewOptions } from "./command.js";
import { checkJobId, resolveJobId } from "./job.js";

function stateOf(answer: unknown): string | null {
  if (typeof answer !== "object" || answer === null) return null;
  const state = (answer as { state?: unknown }).state;
  return typeof state === "string" ? state : null;
}

export function cancelText(id: string, answer: unknown): string {
  const state = stateOf(answer);
  const now = state === null ? "" : ` (state now: ${state})`;
  return [
    `asked the collector to cancel job ${id}${now}; what nodes already pulled or removed stays done.`,
    `follow it to its end: imagedrift job ${id} --follow`,
    "",
  ].join("\n");
}

export async function cancelCommand(client: CollectorClient, input: string, view: ViewOptions): Promise<CommandResult> {
  const id = await resolveJobId(client, input);
  const answer = await client.cancelJob(id);
  const data = typeof answer === "object" && answer !== null ? answer : { id };
  return { exitCode: 0, output: renderOutput(data, view.output, () => cancelText(id, answer)) };
}

export const defineCancel: DefineCommand = (program, execute) => {
  program
    .command("cancel")
    .summary("cancel a job")
    .description(
      "Ask the collector to cancel job ID. The job ends as cancelled; what nodes already pulled or removed stays done. Needs the token when the collector has one.",
    )
    .argument("<id>", "job id, or any unique prefix of it, as the job commands and `imagedrift jobs` print it")
    .addHelpText("after", helpEpilogue(["imagedrift cancel 7f3a9c", "imagedrift jobs --state running"]))
    .action((id: string) => {
      const jobId = checkJobId(id);
      return execute((client, view) => cancelCommand(client, jobId, view));
    });
};
