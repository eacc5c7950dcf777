import type { TagView } from "@imagedrift/core";
import type { DriftService } from "../drift-service.js";
import type { NodeStore } from "../store/index.js";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

const short = (digest: string | null) => (digest ? digest.replace(/^sha256:/, "").slice(0, 12) : "no digest");

function cell(tag: TagView, node: string): string {
  const holder = tag.nodes.find((h) => h.node === node);
  if (!holder) return `<td class="empty" aria-label="not held">·</td>`;
  return `<td class="${holder.status}" title="${escapeHtml(holder.digest ?? holder.imageId)}">${escapeHtml(short(holder.digest))} <small>${holder.status}</small></td>`;
}

/**
 * A server-rendered drift matrix (tags × nodes) with the findings: readable
 * without JavaScript, refreshing itself every 10 seconds.
 */
export function renderPage(drift: DriftService, nodeStore: NodeStore): string {
  const nodes = nodeStore.list().map((n) => n.name);
  const findings = drift.findings();
  const rows = drift.tagViews
    .map(
      (tag) =>
        `<tr><th scope="row">${escapeHtml(tag.reference)}<br><small class="status-${tag.status}">${tag.status}` +
        ` · registry ${escapeHtml(short(tag.registryDigest))}</small></th>${nodes.map((n) => cell(tag, n)).join("")}</tr>`,
    )
    .join("\n");
  const findingItems = findings
    .map(
      (f) =>
        `<li class="${f.severity}"><strong>${f.severity}</strong> ${escapeHtml(f.kind)}: ${escapeHtml(f.message)}<br><code>${escapeHtml(f.remedy)}</code></li>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>imagedrift</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#1a1a1a}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;font-family:ui-monospace,monospace}
td.current{background:#e3f4e1}td.stale{background:#fde2e1}td.unknown{background:#f1f1f1}td.empty{color:#999;text-align:center}
.status-inconsistent,.status-stale,.status-missing-in-registry{color:#a40000;font-weight:600}
li.critical strong{color:#a40000}li.warning strong{color:#8a5a00}li{margin:.4rem 0}
</style></head><body>
<h1>imagedrift</h1>
<p>${nodes.length} nodes · ${drift.tagViews.length} tags · ${findings.length} findings · <a href="/api/v1/findings">JSON</a> · <a href="/openapi.json">API</a></p>
<h2>Findings</h2><ul>${findingItems || "<li>None: every node holds what the registry says.</li>"}</ul>
<h2>Tags × nodes</h2>
<table><thead><tr><th scope="col">tag</th>${nodes.map((n) => `<th scope="col">${escapeHtml(n)}</th>`).join("")}</tr></thead>
<tbody>${rows}</tbody></table>
</body></html>`;
}
