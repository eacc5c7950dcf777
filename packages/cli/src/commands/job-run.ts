/**
 * What the job commands share: their flags (docs/ARCHITECTURE.md#cli), the request fields
 * those flags make, and starting a job then either printing its id
 * (`--no-wait`) or following it to the end: progress on stderr, the summary
 * on stdout, exit 0 when it succeeded and 1 when it failed, was partial or
 * was cancelled. Ctrl-C stops following, never cancels.
 */

import type { JobCreated, JobItem, JobRequest } from "@imagedrift/core";
import { ImagedriftError } from "@imagedrift/core";
import type { Command } from "commander";
import type { CollectorClient } from "../client.js";
import { jobSummary } from "../format/job-table.js";
import { renderOutput } from "../format/output.js";
import { followJob } from "../job-follow.js";
import { createJobProgress } from "../job-progress.js";
import type { CommandResult, LiveIo, ViewOptions } from "./command.js";
import { durationFlag, integerFlag, parseNodeList, parseSelector } from "./flags.js";

/** The shared job flags as commander parses them. */
export interface JobFlags {
  nodes?: string[];
  selector?: Record<string, string>;
  concurrency?: number;
  dryRun?: boolean;
  timeoutPerNode?: number;
  retries?: number;
  /** false with --no-wait. */
  wait: boolean;
}

export type JobTargeting = Pick<
  JobRequest,
  "nodes" | "nodeSelector" | "dryRun" | "concurrency" | "timeoutMs" | "retries"
>;

/** Adds --nodes, --selector, --concurrency, --dry-run, --timeout-per-node, --retries and --no-wait. */
export function addJobOptions(command: Command): Command {
  return command
    .option("--nodes <a,b>", "only these nodes (repeatable; default: every reporting node)", parseNodeList)
    .option("--selector <label=value>", "only nodes with these labels (repeatable or comma-separated)", parseSelector)
    .option(
      "--concurrency <n>",
      "nodes working at once (default: the collector's)",
      integerFlag("--concurrency", 1, 1000),
    )
    .option("--dry-run", "only show what would be done")
    .option(
      "--timeout-per-node <duration>",
      "give up on a node after this long, e.g. 10m",
      durationFlag("--timeout-per-node", { minMs: 1000, maxMs: 86_400_000 }),
    )
    .option("--retries <n>", "retries per node after a failure (default 2)", integerFlag("--retries", 0, 10))
    .option("--no-wait", "print the job id and return instead of following the job");
}

/** The request fields the shared flags set; absent flags stay absent (the collector's defaults apply). */
export function jobTargeting(flags: JobFlags): JobTargeting {
  const targeting: JobTargeting = {};
  if (flags.nodes !== undefined) targeting.nodes = [...new Set(flags.nodes)];
  if (flags.selector !== undefined) targeting.nodeSelector = flags.selector;
  if (flags.dryRun) targeting.dryRun = true;
  if (flags.concurrency !== undefined) targeting.concurrency = flags.concurrency;
  if (flags.timeoutPerNode !== undefined) targeting.timeoutMs = flags.timeoutPerNode;
  if (flags.retries !== undefined) targeting.retries = flags.retries;
  return targeting;
}

export function jobExitCode(job: JobItem): number {
  return job.state === "succeeded" ? 0 : 1;
}

function stoppedFollowing(id: string): ImagedriftError {
  return new ImagedriftError(
    "cancelled",
    [
      `stopped following job ${id}; it goes on in the collector.`,
      `  imagedrift job ${id} --follow    follow it again`,
      `  imagedrift cancel ${id}          cancel it`,
    ].join("\n"),
  );
}

/** Polls the job until it finishes, showing progress; the summary (or the job as data) is the output. */
export async function followAndReport(
  client: CollectorClient,
  id: string,
  options: { view: ViewOptions; live: LiveIo },
): Promise<CommandResult> {
  const { view, live } = options;
  const controller = new AbortController();
  const release = live.onInterrupt(() => controller.abort());
  const progress = createJobProgress(live);
  let outcome: Awaited<ReturnType<typeof followJob>>;
  try {
    outcome = await followJob(client, id, {
      intervalMs: live.pollIntervalMs,
      signal: controller.signal,
      onUpdate: (job) => progress.update(job),
    });
  } finally {
    progress.stop();
    release();
  }
  if (!outcome.finished) throw stoppedFollowing(id);
  const job = outcome.job;
  return { exitCode: jobExitCode(job), output: renderOutput(job, view.output, (value) => jobSummary(value, view)) };
}

/** POSTs the job; with --no-wait prints its id (or `{id, state}` as data), else follows it. */
export async function startJob(
  client: CollectorClient,
  request: JobRequest,
  options: { view: ViewOptions; live: LiveIo; wait: boolean },
): Promise<CommandResult> {
  const created: JobCreated = await client.createJob(request);
  if (!options.wait) {
    return { exitCode: 0, output: renderOutput(created, options.view.output, (value) => `${value.id}\n`) };
  }
  return followAndReport(client, created.id, options);
}

const removesSomething = (job: JobItem) => job.nodes.some((n) => (n.removed ?? []).length > 0);

/**
 * A job that may remove images (prune, refresh --remove-replaced). On a
 * terminal, unless `yes` or a dry run was asked: runs it as a dry run first,
 * shows that plan, and starts the real job only if the user says yes (no:
 * exit 1, nothing started). A plan that removes nothing starts the real job
 * without asking. Without a terminal it starts the job at once.
 */
export async function startRemovingJob(
  client: CollectorClient,
  request: JobRequest,
  options: { view: ViewOptions; live: LiveIo; wait: boolean; yes: boolean },
): Promise<CommandResult> {
  const { confirm } = options.live;
  if (confirm === null || options.yes || request.dryRun === true) return startJob(client, request, options);
  const planId = (await client.createJob({ ...request, dryRun: true })).id;
  const plan = await followAndReport(client, planId, {
    view: { ...options.view, output: "table" },
    live: options.live,
  });
  if (plan.exitCode !== 0) return plan;
  const job = await client.getJob(planId);
  if (removesSomething(job)) {
    options.live.progress.write(`The plan (dry run ${planId}):\n${plan.output}`);
    if (!(await confirm("Remove these images?"))) {
      return { exitCode: 1, output: "Nothing removed: the job was not started.\n" };
    }
  }
  return startJob(client, request, options);
}

/** The --yes flag of the commands that remove images. */
export const YES_HELP =
  "do not ask before removing: on a terminal (stdin and stdout), the job first runs as a dry run, shows the plan and asks y/N when it would remove something; without a terminal it never asks";

/** The examples and notes every job command's help ends with. */
export const JOB_HELP_NOTES = [
  "Progress goes to stderr: a live bar on a terminal, else one line per node state change. The summary goes to stdout.",
  "Exits 0 when the job succeeded, 1 when it failed, was partial or was cancelled. Ctrl-C stops following (exit 130) and leaves the job running: `imagedrift cancel ID` cancels it.",
  "",
];
