/**
 * ingest (and the HTTP half of findings): N simulated agents × 300 images,
 * speaking the real protocol from worker threads, first to the peer (sink.mjs:
 * decode + raw SQLite inserts of the same rows), then to the real collector
 * process. Per process: cold ingest time (first Connect → every node's
 * inventory committed, read from its SQLite file), CPU share in the heartbeat
 * steady state (/proc/PID/stat), peak RSS; then, on the loaded collector,
 * p99 of GET /api/v1/findings, /api/v1/tags and /healthz under 20 clients.
 * The phases are timed in lib/ingest-phases.mjs, the collector's rows made in
 * lib/ingest-rows.mjs, the HTTP half in lib/ingest-http.mjs, the TLS rows in
 * lib/ingest-tls.mjs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFleet } from "./lib/agent-sim.mjs";
import { httpRows } from "./lib/ingest-http.mjs";
import { coldIngest, heapSnapshot, rest, settle } from "./lib/ingest-phases.mjs";
import { collectorIngestRows } from "./lib/ingest-rows.mjs";
import { tlsIngestRows } from "./lib/ingest-tls.mjs";
import { cpuShare, fmtMs, MIB, memoryOf, monotonicMicros, sleep } from "./lib/measure.mjs";
import { cpuProfFlags, startCollector, startSink } from "./lib/procs.mjs";

const SIM_THREADS = 4;
const AGENT_INTERVAL_MS = 60_000; // the agent's default --interval
const HEAP_SNAPSHOT_MAX_AGENTS = 200;

export async function ingestBench(ctx) {
  const { quick, log, tags, registryHost } = ctx;
  const count = ctx.nodes;
  const windowMs = quick ? 10_000 : 30_000;
  const httpMs = quick ? 4_000 : 10_000;
  // Cold ingest stops being timed at capMs (the figure is then a lower bound); the rest may take restCapMs more.
  const capMs = quick ? 90_000 : 600_000;
  const restCapMs = quick ? 30_000 : 300_000;
  const dir = join(ctx.dir, "ingest");
  mkdirSync(dir, { recursive: true });
  // Rows go out as soon as they are known: a later phase failing (the collector dying) must not lose them.
  const emit = ctx.emit;

  log(`ingest: preparing ${count} simulated agents × ${tags.length} images in ${SIM_THREADS} worker threads`);
  const fleet = await startFleet({
    count,
    threads: SIM_THREADS,
    host: registryHost,
    tagCount: tags.length,
    digests: ctx.digests,
    intervalMs: AGENT_INTERVAL_MS,
  });
  log(
    `  inventories made and serialised in ${fmtMs(fleet.prepareMs)}: ${(fleet.wireBytes / MIB).toFixed(0)} MiB of protobuf`,
  );
  try {
    // The peer first: same streams, same bytes, the least work a collector must do with them.
    const sink = await startSink({ dir });
    let peer;
    try {
      log("ingest: peer (sink.mjs) cold ingest");
      const ingest = await coldIngest({
        fleet,
        address: sink.grpcAddress,
        dbFile: sink.db,
        pid: sink.pid,
        count,
        capMs,
        log,
      });
      if (!ingest.complete) await rest({ dbFile: sink.db, count, capMs: restCapMs });
      await sleep(2_000);
      const cpu = await cpuShare(sink.pid, windowMs);
      peer = { ingest, cpu, memory: memoryOf(sink.pid) };
      log(`  sink: ${ingest.stored}/${count} stored in ${fmtMs(ingest.ms)}, heartbeat CPU ${(cpu * 100).toFixed(2)} %`);
    } finally {
      await fleet.close();
      await sink.stop();
    }

    let plaintext;
    const collector = await startCollector({
      dir,
      // 20 closed-loop clients ask far more often than the per-address REST limit (50/s) lets through:
      // lifted, so that the HTTP figures measure answering, not refusing.
      extraArgs: ["--rate-limit", "off", ...ctx.collectorArgs],
      nodeFlags: [
        ...ctx.collectorNodeFlags,
        ...(ctx.profile
          ? [
              ...cpuProfFlags(ctx.profileDir, "collector-ingest"),
              ...(count <= HEAP_SNAPSHOT_MAX_AGENTS
                ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${ctx.profileDir}`]
                : []),
            ]
          : []),
      ],
      stopTimeoutMs: ctx.profile ? 600_000 : 10_000,
    });
    try {
      log(`ingest: collector (pid ${collector.pid}) cold ingest`);
      const windows = {};
      let from = monotonicMicros();
      const ingest = await coldIngest({
        fleet,
        address: collector.grpcAddress,
        dbFile: collector.db,
        pid: collector.pid,
        count,
        capMs,
        log,
      });
      windows["cold ingest"] = [from, monotonicMicros()];
      const afterIngest = memoryOf(collector.pid);
      let storedAtWindow = ingest.stored;
      if (ingest.complete) {
        log(`  collector: every inventory stored after ${fmtMs(ingest.ms)}; waiting for tag resolution and findings`);
      } else {
        log(
          `  collector: only ${ingest.stored}/${count} stored after ${fmtMs(ingest.ms)}; waiting up to ${fmtMs(restCapMs)} more`,
        );
        storedAtWindow = await rest({ dbFile: collector.db, count, capMs: restCapMs });
      }
      const settleMs = await settle({ collector, tagCount: tags.length, capMs: quick ? 60_000 : 300_000, log });
      log(
        `  ${storedAtWindow}/${count} stored; settled ${fmtMs(settleMs)} later; measuring ${windowMs / 1000} s of heartbeats`,
      );
      from = monotonicMicros();
      const cpu = await cpuShare(collector.pid, windowMs);
      windows["heartbeat steady state"] = [from, monotonicMicros()];
      const memory = memoryOf(collector.pid);
      // A snapshot of a heap past a few hundred MiB is too big to write quickly or to parse here.
      if (ctx.profile && count <= HEAP_SNAPSHOT_MAX_AGENTS) await heapSnapshot(collector.pid, ctx.profileDir, log);
      const stats = await fleet.stats();
      const metrics = await (await fetch(`${collector.url}/metrics`, { signal: AbortSignal.timeout(300_000) })).text();
      log(`  collector: heartbeat CPU ${(cpu * 100).toFixed(2)} %, peak RSS ${(memory.peak / MIB).toFixed(0)} MiB`);
      plaintext = { ms: ingest.ms, complete: ingest.complete, cpu, peak: memory.peak };

      emit(
        ...collectorIngestRows({
          run: { ingest, storedAtWindow, settleMs, cpu, memory, afterIngest, metrics, stats },
          peer,
          setup: {
            ctx,
            count,
            tags,
            capMs,
            restCapMs,
            windowMs,
            simThreads: SIM_THREADS,
            agentIntervalMs: AGENT_INTERVAL_MS,
          },
        }),
      );
      const http = await httpRows({ url: collector.url, count, httpMs, log, windows });
      if (ctx.profile) writeFileSync(join(ctx.profileDir, "collector-ingest.windows.json"), JSON.stringify(windows));
      emit(...http);
    } finally {
      await fleet.close();
      await collector.stop();
    }
    if (plaintext) {
      await tlsIngestRows({ ctx, fleet, dir, count, limits: { capMs, restCapMs, windowMs }, plaintext });
    }
  } finally {
    await fleet.terminate();
  }
  return [];
}
