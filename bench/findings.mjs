/**
 * findings: a full recompute of computeFindings at cluster scale (N nodes ×
 * 300 images, 300 tags shared by every node) against serialising the same
 * snapshot with JSON.stringify; and the collector's own recompute (its
 * DriftService over interned inventories): whole after a restart, and after
 * one node's new inventory, against computeFindings on the same inventories.
 * The HTTP half (GET /api/v1/findings and /api/v1/tags under 20 clients) runs
 * on the loaded collector of ingest.mjs.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmtMs, median } from "./lib/measure.mjs";
import { runOk } from "./lib/procs.mjs";
import { row } from "./lib/report.mjs";

const CHILD = fileURLToPath(new URL("./lib/findings-child.mjs", import.meta.url));
const RECOMPUTE_CHILD = fileURLToPath(new URL("./lib/recompute-child.mjs", import.meta.url));

export async function findingsBench(ctx) {
  const count = ctx.nodes;
  const reps = ctx.quick ? 3 : 2;
  ctx.log(`findings: computeFindings on ${count} nodes × 300 images, ${reps} cold runs (own process)`);
  const args = [CHILD, String(count), String(reps)];
  if (ctx.profile) args.push(join(ctx.profileDir, "compute-findings.cpuprofile"));
  const { stdout } = await runOk(process.execPath, args, { timeoutMs: 3_600_000 });
  const r = JSON.parse(stdout.trim().split("\n").pop());
  ctx.log(
    `  cold ${r.cold.map(fmtMs).join(", ")}; warm ${fmtMs(r.warm)}; JSON.stringify ${r.peer.map(fmtMs).join(", ")}`,
  );
  ctx.log(`findings: the collector's recompute on ${count} nodes × 300 images (own process)`);
  const c = JSON.parse(
    (await runOk(process.execPath, [RECOMPUTE_CHILD, String(count)], { timeoutMs: 3_600_000 })).stdout
      .trim()
      .split("\n")
      .pop(),
  );
  ctx.log(
    `  restart ${c.restart.map(fmtMs).join(", ")}; one node ${c.oneNode.map(fmtMs).join(", ")}; computeFindings ${c.peer.map(fmtMs).join(", ")}`,
  );
  const peerNote = `computeFindings (core) on the same ${count} interned inventories: ${c.peer.map((x) => x.toFixed(0)).join(", ")} ms.`;
  return [
    row({
      name: `findings: collector full recompute after a restart, ${count} nodes x 300 images`,
      value: median(c.restart),
      unit: "ms",
      peer: "computeFindings from scratch on the same inventories and resolutions",
      peerValue: median(c.peer),
      target: "value <= 500",
      notes:
        `median of ${c.restart.length} restarts (${c.restart.map((x) => x.toFixed(0)).join(", ")} ms): a new DriftService over the ` +
        `stores, building its tag index and recomputing every tag and node (built collector, SQLite file). ${peerNote} ` +
        `${c.findings} findings; heap after ${c.heapMiB.toFixed(0)} MiB.`,
    }),
    row({
      name: `findings: collector recompute after one node's inventory, ${count} nodes`,
      value: median(c.oneNode),
      unit: "ms",
      peer: "computeFindings from scratch on the same inventories and resolutions",
      peerValue: median(c.peer),
      target: null,
      notes:
        `median of ${c.oneNode.length} (${c.oneNode.map((x) => x.toFixed(0)).join(", ")} ms): storing one node's new inventory ` +
        `(30 drifting tags moved) and the incremental recompute that follows, as each agent report does. ${peerNote}`,
    }),
    row({
      name: `findings: computeFindings, ${count} nodes x 300 images (cold)`,
      value: median(r.cold),
      unit: "ms",
      peer: "JSON.stringify of the same snapshot (every inventory, once)",
      peerValue: median(r.peer),
      target: "value <= 500",
      notes:
        `median of ${reps} runs on fresh inventory objects (${r.cold.map((x) => x.toFixed(0)).join(", ")} ms); ` +
        `again on the same objects (per-inventory caches warm): ${r.warm.toFixed(0)} ms. ` +
        `${r.findings} findings (${Object.entries(r.kinds)
          .map(([k, n]) => `${n} ${k}`)
          .join(
            ", ",
          )}); snapshot JSON ${(r.jsonBytes / 1048576).toFixed(0)} MiB; heap after ${r.heapMiB.toFixed(0)} MiB. ` +
        "1 tag in 10 drifts on 1 node in 5; 20 running pods per node.",
    }),
  ];
}
