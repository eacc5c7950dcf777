/**
 * prepull: one image of incompressible layer data onto 6 lab nodes through a
 * job (the collector and 6 agents as real processes; POST /api/v1/jobs, then
 * GET until it ends), against single-node pulls: CRI PullImage on each node
 * one after the other (the seeds' way). Each measurement pulls an image of its
 * own, of the same size, so that every pull is cold on its node. Also timed:
 * the same 6 CRI pulls all at once, the machine's bound for any parallel pull.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CriClient } from "@imagedrift/cri";
import { fmtMs, MIB, until } from "./lib/measure.mjs";
import { startAgent, startCollector } from "./lib/procs.mjs";
import { row } from "./lib/report.mjs";

const FINISHED = new Set(["succeeded", "failed", "partial", "cancelled"]);

async function runJob(url, request) {
  const t0 = performance.now();
  const response = await fetch(`${url}/api/v1/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  const created = await response.json();
  if (response.status !== 202) throw new Error(`POST /api/v1/jobs: ${response.status} ${JSON.stringify(created)}`);
  const job = await until(
    async () => {
      const j = await (await fetch(`${url}/api/v1/jobs/${created.id}`)).json();
      return FINISHED.has(j.state) ? j : undefined;
    },
    { what: `job ${created.id} to finish`, timeoutMs: 600_000, intervalMs: 50 },
  );
  const ms = performance.now() - t0;
  if (job.state !== "succeeded") throw new Error(`job ${job.id} ended ${job.state}: ${JSON.stringify(job.nodes)}`);
  return { ms, job };
}

const span = (a, b) => Date.parse(b) - Date.parse(a);

export async function prepullBench(ctx) {
  const { lab, log } = ctx;
  const size = (ctx.quick ? 32 : 64) * MIB;
  const dir = join(ctx.dir, "prepull");
  mkdirSync(dir, { recursive: true });
  const names = ctx.prepullNodes;

  log(`prepull: building and pushing 4 images of ${size / MIB} MiB of random layer data`);
  const refs = {};
  for (const which of ["job", "job6", "sequential", "parallel"]) {
    const image = await lab.build({ files: { "/blob.bin": randomBytes(size) }, salt: `prepull ${which}` });
    refs[which] = lab.ref(`bench/prepull-${which}:1`);
    await lab.push(image, refs[which]);
  }

  const collector = await startCollector({ dir, name: "prepull-collector" });
  const agents = [];
  try {
    for (const name of names) {
      agents.push(
        await startAgent({ dir, node: name, endpoint: lab.node(name).endpoint, collector: collector.grpcAddress }),
      );
    }
    await until(
      async () => {
        const { items } = await (await fetch(`${collector.url}/api/v1/nodes`)).json();
        return items.filter((n) => n.connected && n.state === "reporting").length === names.length;
      },
      { what: `${names.length} agents connected`, timeoutMs: 60_000 },
    );

    // The seeds' way: CRI PullImage on each node, one after the other.
    const sequential = [];
    for (const name of names) {
      const cri = CriClient.connect({ endpoint: lab.node(name).endpoint, timeoutMs: 600_000 });
      try {
        const t0 = performance.now();
        await cri.pullImage(refs.sequential, { timeoutMs: 600_000 });
        sequential.push(performance.now() - t0);
      } finally {
        cri.close();
      }
    }
    const slowest = Math.max(...sequential);
    const sequentialTotal = sequential.reduce((a, b) => a + b, 0);
    log(`  single-node pulls: ${sequential.map(fmtMs).join(", ")} (total ${fmtMs(sequentialTotal)})`);

    const byDefault = await runJob(collector.url, { type: "prepull", images: [refs.job] });
    log(`  job, default concurrency: ${fmtMs(byDefault.ms)}`);
    const allAtOnce = await runJob(collector.url, { type: "prepull", images: [refs.job6], concurrency: names.length });
    log(`  job, concurrency ${names.length}: ${fmtMs(allAtOnce.ms)}`);

    const clients = names.map((name) => CriClient.connect({ endpoint: lab.node(name).endpoint, timeoutMs: 600_000 }));
    let parallelMs;
    try {
      const t0 = performance.now();
      await Promise.all(clients.map((cri) => cri.pullImage(refs.parallel, { timeoutMs: 600_000 })));
      parallelMs = performance.now() - t0;
    } finally {
      for (const cri of clients) cri.close();
    }
    log(`  6 CRI pulls at once (no job): ${fmtMs(parallelMs)}`);

    const describe = ({ job }) => {
      const nodeMs = job.nodes.map((n) => span(n.startedAt, n.finishedAt));
      const firstStart = Math.min(...job.nodes.map((n) => Date.parse(n.startedAt)));
      return (
        `POST to seeing it finished (GET every 50 ms); the job's own record: created→finished ${span(job.createdAt, job.finishedAt)} ms, ` +
        `created→first node started ${firstStart - Date.parse(job.createdAt)} ms; per-node pull ${nodeMs.join(", ")} ms.`
      );
    };
    const common =
      `${size / MIB} MiB incompressible layer, 6 containerd nodes (native snapshotter) on one machine and one loopback registry. ` +
      `Single-node pulls, one after the other: ${sequential.map((x) => x.toFixed(0)).join(", ")} ms (total ${sequentialTotal.toFixed(0)} ms). ` +
      `The 6 CRI pulls at once without imagedrift: ${parallelMs.toFixed(0)} ms (${(parallelMs / slowest).toFixed(2)}x the slowest single pull; the machine's bound for a parallel prepull).`;
    return [
      row({
        name: `prepull: job onto ${names.length} nodes, default concurrency`,
        value: byDefault.ms / 1000,
        unit: "s",
        peer: "slowest single-node CRI PullImage of the sequential loop",
        peerValue: slowest / 1000,
        target: "ratio <= 1.3",
        notes: `${describe(byDefault)} ${common}`,
      }),
      row({
        name: `prepull: job onto ${names.length} nodes, concurrency ${names.length}`,
        value: allAtOnce.ms / 1000,
        unit: "s",
        peer: "slowest single-node CRI PullImage of the sequential loop",
        peerValue: slowest / 1000,
        target: "ratio <= 1.3",
        notes: `${describe(allAtOnce)} Against the sequential loop's total: ${(allAtOnce.ms / sequentialTotal).toFixed(2)}x.`,
      }),
      row({
        name: `prepull: job onto ${names.length} nodes, concurrency ${names.length}, vs the same pulls without imagedrift`,
        value: allAtOnce.ms / 1000,
        unit: "s",
        peer: `${names.length} CRI PullImage calls at once, one per node, from one process`,
        peerValue: parallelMs / 1000,
        notes:
          "What the job machinery (plan, tag resolution, commands over the agents' streams, verification, results) adds to the pulls themselves on this machine.",
      }),
    ];
  } finally {
    await Promise.allSettled(agents.map((a) => a.stop()));
    await collector.stop();
  }
}
