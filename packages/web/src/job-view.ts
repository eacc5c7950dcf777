/** A job's progress and results: per node state, message, what was pulled or removed, bytes reclaimed. */

import { shortDigest } from "@imagedrift/core";
import type { Job, JobNode } from "./api-types.js";
import { h } from "./dom.js";
import { formatBytes, formatTime } from "./format.js";
import { jobFinished, nodeFinished, nodeResult, reclaimed } from "./job-request.js";
import { badge, JOB_STATE_BADGES } from "./palette.js";

export function jobStateBadge(state: string): HTMLElement {
  return badge(JOB_STATE_BADGES[state] ?? { background: "#ececec", color: "#333333", icon: "" }, state);
}

function nodeDetails(node: JobNode, dryRun: boolean): HTMLElement | null {
  const items = [
    ...(node.pulled ?? []).map(
      (p) =>
        `${p.ref}: ${p.error ?? (p.alreadyPresent ? "already present" : dryRun ? "would be pulled" : "pulled")}` +
        (p.digest ? ` ${shortDigest(p.digest)}` : "") +
        (p.verified === true ? " ✓ verified" : p.verified === false ? " ✗ digest differs" : ""),
    ),
    ...(node.removed ?? []).map(
      (r) => `${dryRun ? "would remove" : "removed"} ${r.repoTags[0] ?? shortDigest(r.id)} (${formatBytes(r.bytes)})`,
    ),
    ...(node.skipped ?? []).map((s) => `kept ${s.repoTags[0] ?? shortDigest(s.id)}: ${s.reason}`),
  ];
  if (items.length === 0) return null;
  return h(
    "details",
    { "data-key": `job-node-${node.node}` },
    h("summary", { "data-key": `job-node-summary-${node.node}` }, `${items.length} image(s)`),
    h(
      "ul",
      { class: "plain" },
      items.map((i) => h("li", {}, i)),
    ),
  );
}

export function jobView(job: Job, cancel: (() => void) | null): Node[] {
  const dryRun = job.request?.dryRun === true;
  const done = job.nodes.filter(nodeFinished).length;
  const total = job.nodes.length;
  const totalBytes = job.nodes.reduce((sum, n) => sum + (n.reclaimedBytes ?? 0), 0);
  const finished = jobFinished(job);
  const cancelButton =
    cancel && !finished
      ? h("button", { type: "button", class: "danger", "data-key": "cancel-job" }, "Cancel job")
      : null;
  cancelButton?.addEventListener("click", cancel ?? (() => {}));
  const parts: (Node | null)[] = [
    h(
      "p",
      { class: "job-title" },
      h("strong", {}, `${job.type}${dryRun ? " · dry run" : ""}`),
      " ",
      jobStateBadge(job.state),
      h("span", { class: "mono muted" }, ` ${job.id}`),
    ),
    h(
      "p",
      { class: "muted" },
      `started ${formatTime(job.startedAt ?? job.createdAt)}`,
      job.finishedAt ? ` · finished ${formatTime(job.finishedAt)}` : "",
    ),
    h(
      "label",
      { class: "progress" },
      h("progress", { max: Math.max(total, 1), value: done }),
      ` ${done} of ${total} nodes done`,
    ),
    h(
      "table",
      { class: "detail-table job-nodes" },
      h("caption", {}, "Per node"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Node", "State", "Result", dryRun ? "Would reclaim" : "Reclaimed", "Message"].map((c) =>
            h("th", { scope: "col" }, c),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        job.nodes.map((n) =>
          h(
            "tr",
            { "data-node": n.node },
            h("th", { scope: "row" }, n.node),
            h("td", { class: "job-node-state" }, jobStateBadge(n.state)),
            h("td", { class: "job-node-result" }, nodeResult(n, dryRun), nodeDetails(n, dryRun)),
            h("td", { class: "num job-node-bytes" }, reclaimed(n)),
            h("td", { class: "wrap" }, n.message),
          ),
        ),
      ),
      totalBytes > 0
        ? h(
            "tfoot",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "row", colspan: 3 }, dryRun ? "Would reclaim in all" : "Reclaimed in all"),
              h("td", { class: "num" }, formatBytes(totalBytes)),
              h("td", {}),
            ),
          )
        : null,
    ),
    cancelButton,
  ];
  return parts.filter((part): part is Node => part !== null);
}
