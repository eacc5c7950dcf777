/**
 * findings: a full recompute of computeFindings at cluster scale (N nodes ×
 * 300 images, 300 tags shared by every node) against serialising the same
 * snapshot with JSON.stringify. The HTTP half (GET /api/v1/findings and
 * /api/v1/tags under 20 clients) runs on the loaded collector of ingest.mjs.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmtMs, median } from "./lib/measure.mjs";
import { runOk } from "./lib/procs.mjs";
import { row } from "./lib/report.mjs";

const CHILD = fileURLToPath(new URL("./lib/findings-child.mjs", import.meta.url));

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
  return [
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
