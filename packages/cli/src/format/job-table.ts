/**
 * Jobs for people: the per-node summary a followed job ends with, the list of
 * `imagedrift jobs`, and the detail of `imagedrift job ID`.
 */
import {
  FINISHED_NODE_STATES,
  formatBytes,
  formatDuration,
  type JobItem,
  type JobNodeItem,
  type JobState,
  shortDigest,
} from "@imagedrift/core";
import type { ViewOptions } from "../commands/command.js";
import { messageBeyondResult, nodeResult, nodeStateCell, removedBytes } from "./job-node.js";
import { familiarRef, listSome } from "./reference.js";
import type { Style } from "./style.js";
import { type Column, renderTable, renderTableLines } from "./table.js";
import { formatAgo } from "./time.js";

export function jobStateCell(state: JobState, style: Style): string {
  if (state === "succeeded") return style.green(state);
  if (state === "failed") return style.red(state);
  if (state === "partial" || state === "cancelled") return style.yellow(state);
  return state;
}

export function isDryRun(job: JobItem): boolean {
  return job.request?.dryRun === true;
}

/** `nginx:1.27, app:2.4.1`, `policy unused, keep 2 patterns`; `(dry run)` appended. */
export function jobTarget(job: JobItem): string {
  const request = job.request;
  if (request === undefined) return "-";
  let what = "";
  if (request.policy !== undefined) {
    const { mode, keep = [], include = [], exclude = [], olderThanMs, targetUsagePercent } = request.policy;
    what = [
      `policy ${mode}`,
      include.length > 0 ? `include ${include.join(" ")}` : "",
      exclude.length > 0 ? `exclude ${exclude.join(" ")}` : "",
      keep.length > 0 ? `keep ${keep.join(" ")}` : "",
      olderThanMs === undefined ? "" : `older than ${formatDuration(olderThanMs)}`,
      targetUsagePercent === undefined ? "" : `down to ${targetUsagePercent}% used`,
    ]
      .filter((part) => part !== "")
      .join(", ");
  } else if (request.images !== undefined && request.images.length > 0) {
    what = listSome(request.images.map(familiarRef), 2);
  } else if (job.type === "refresh") {
    what = "every stale or inconsistent tag";
  }
  if (request.dryRun) what = `${what} (dry run)`.trim();
  return what === "" ? "-" : what;
}

/** `3/4`, `3/4 (1 failed)`: nodes done of all. */
function nodeProgress(nodes: readonly JobNodeItem[]): string {
  const done = nodes.filter((n) => FINISHED_NODE_STATES.includes(n.state)).length;
  const failed = nodes.filter((n) => n.state === "failed").length;
  return `${done}/${nodes.length}${failed > 0 ? ` (${failed} failed)` : ""}`;
}

/** How long the job ran (or has run), to the second. */
function took(job: JobItem, now: Date): string {
  const start = Date.parse(job.startedAt ?? job.createdAt);
  const end = job.finishedAt === null ? now.getTime() : Date.parse(job.finishedAt);
  if (Number.isNaN(start) || Number.isNaN(end)) return "-";
  return formatDuration(Math.max(0, Math.round((end - start) / 1000)) * 1000);
}

export function jobsTable(jobs: readonly JobItem[], view: ViewOptions & { state?: JobState }): string {
  if (jobs.length === 0) return view.state === undefined ? "No jobs.\n" : `No job is ${view.state}.\n`;
  const columns: Column<JobItem>[] = [
    { header: "ID", cell: (j) => j.id },
    { header: "TYPE", cell: (j) => j.type },
    { header: "STATE", cell: (j) => jobStateCell(j.state, view.style) },
    { header: "NODES", cell: (j) => nodeProgress(j.nodes) },
    { header: "CREATED", cell: (j) => formatAgo(j.createdAt, view.now) },
    { header: "TOOK", cell: (j) => took(j, view.now), align: "right" },
    { header: "TARGET", cell: jobTarget },
  ];
  return renderTable(columns, jobs, { headerStyle: view.style.bold });
}

function countStates(nodes: readonly JobNodeItem[]): string {
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(node.state, (counts.get(node.state) ?? 0) + 1);
  const parts = [...counts].map(([state, n]) => `${n} ${state}`);
  return `${parts.join(", ")} of ${nodes.length} node${nodes.length === 1 ? "" : "s"}`;
}

function reclaimedOf(node: JobNodeItem): number | undefined {
  return node.reclaimedBytes ?? (node.removed === undefined ? undefined : removedBytes(node.removed));
}

interface DryRunRow {
  node: string;
  action: string;
  image: string;
  id: string;
  bytes: number | undefined;
}

/** Every image a dry run would pull or remove, one line each, with the bytes a removal would free. */
function dryRunDetail(job: JobItem, view: ViewOptions): string[] {
  const rows: DryRunRow[] = job.nodes.flatMap((node) => [
    ...(node.pulled ?? [])
      .filter((p) => !p.alreadyPresent && (p.error ?? "") === "")
      .map((p) => ({ node: node.node, action: "pull", image: familiarRef(p.ref), id: "", bytes: undefined })),
    ...(node.removed ?? []).map((r) => ({
      node: node.node,
      action: "remove",
      image: r.repoTags.length === 0 ? "<none>" : r.repoTags.map(familiarRef).join(", "),
      id: shortDigest(r.id),
      bytes: r.bytes,
    })),
  ]);
  if (rows.length === 0) return [];
  const columns: Column<DryRunRow>[] = [
    { header: "NODE", cell: (r) => r.node },
    { header: "WOULD", cell: (r) => r.action },
    { header: "IMAGE", cell: (r) => r.image },
    { header: "IMAGE ID", cell: (r) => r.id || "-" },
    { header: "SIZE", cell: (r) => formatBytes(r.bytes), align: "right" },
  ];
  return ["", ...renderTableLines(columns, rows, { headerStyle: view.style.bold })];
}

/** The closing line: `job j-1 partial: 1 succeeded, 1 failed of 2 nodes; took 12s`. */
function summaryLine(job: JobItem, view: ViewOptions): string {
  const dryRun = isDryRun(job);
  const reclaimed = job.nodes.map(reclaimedOf).filter((bytes) => bytes !== undefined);
  const parts = [job.nodes.length === 0 ? "no nodes" : countStates(job.nodes)];
  if (reclaimed.length > 0) {
    const total = formatBytes(reclaimed.reduce((sum, bytes) => sum + bytes, 0));
    parts.push(dryRun ? `would reclaim ${total}` : `reclaimed ${total}`);
  }
  if (job.finishedAt !== null) parts.push(`took ${took(job, view.now)}`);
  if (dryRun) parts.push("dry run: nothing was changed");
  return `job ${job.id} ${jobStateCell(job.state, view.style)}: ${parts.join("; ")}`;
}

/** One row per node (state, what it pulled or removed, bytes reclaimed, message), the dry run's detail, then the job's state. */
export function jobSummary(job: JobItem, view: ViewOptions): string {
  const dryRun = isDryRun(job);
  const lines: string[] = [];
  if (job.nodes.length === 0) {
    lines.push(
      job.type === "refresh"
        ? "No selected node holds another digest than the registry's: nothing to refresh."
        : "No node took part: check --nodes and --selector, and `imagedrift nodes`.",
    );
  } else {
    const showBytes = job.type !== "prepull" || job.nodes.some((n) => reclaimedOf(n) !== undefined);
    const bytes: Column<JobNodeItem> = {
      header: dryRun ? "WOULD RECLAIM" : "RECLAIMED",
      cell: (n) => formatBytes(reclaimedOf(n)),
      align: "right",
    };
    const columns: Column<JobNodeItem>[] = [
      { header: "NODE", cell: (n) => n.node },
      { header: "STATE", cell: (n) => nodeStateCell(n.state, view.style) },
      { header: "RESULT", cell: (n) => nodeResult(n, dryRun) || "-" },
      ...(showBytes ? [bytes] : []),
      { header: "MESSAGE", cell: (n) => messageBeyondResult(n, nodeResult(n, dryRun)) },
    ];
    lines.push(...renderTableLines(columns, job.nodes, { headerStyle: view.style.bold }));
    if (dryRun) lines.push(...dryRunDetail(job, view));
  }
  lines.push("", summaryLine(job, view));
  return `${lines.join("\n")}\n`;
}

function nodesWanted(job: JobItem): string {
  const request = job.request;
  if (request === undefined) return "-";
  const selector = Object.entries(request.nodeSelector ?? {}).map(([key, value]) => `${key}=${value}`);
  const parts = [
    request.nodes !== undefined && request.nodes.length > 0 ? request.nodes.join(", ") : "",
    selector.length > 0 ? `selector ${selector.join(",")}` : "",
  ].filter((part) => part !== "");
  return parts.length === 0 ? "every reporting node" : parts.join("; ");
}

function options(job: JobItem): string {
  const request = job.request;
  if (request === undefined) return "-";
  const parts = [
    request.dryRun ? "dry run" : "",
    request.concurrency === undefined ? "" : `concurrency ${request.concurrency}`,
    request.timeoutMs === undefined ? "" : `timeout per node ${formatDuration(request.timeoutMs)}`,
    request.retries === undefined ? "" : `retries ${request.retries}`,
    request.removeReplaced ? "remove replaced images" : "",
  ].filter((part) => part !== "");
  return parts.length === 0 ? "defaults" : parts.join(", ");
}

/** `imagedrift job ID`: what was asked, when, by whom, then the summary. */
export function jobDetail(job: JobItem, view: ViewOptions): string {
  const by = job.createdBy ? ` by ${job.createdBy}` : "";
  const finished =
    job.finishedAt === null ? "-" : `${formatAgo(job.finishedAt, view.now)} (took ${took(job, view.now)})`;
  const fields: [string, string][] = [
    ["Job:", job.id],
    ["Type:", job.type],
    ["State:", jobStateCell(job.state, view.style)],
    ["Created:", `${formatAgo(job.createdAt, view.now)}${by}`],
    ["Finished:", finished],
    ["Target:", jobTarget(job)],
    ["Nodes:", nodesWanted(job)],
    ["Options:", options(job)],
  ];
  const head = renderTableLines(
    [
      { header: "", cell: (f: [string, string]) => f[0] },
      { header: "", cell: (f: [string, string]) => f[1] },
    ],
    fields,
    { header: false },
  );
  return `${head.join("\n")}\n\n${jobSummary(job, view)}`;
}
