/**
 * The ingest benchmark's rows for the plaintext collector (ingest.mjs): its cold ingest, its CPU in the
 * heartbeat steady state and its peak RSS, each against the peer sink.mjs on the same streams and inventories.
 */
import { availableParallelism } from "node:os";
import { MIB, metricSum } from "./measure.mjs";
import { row } from "./report.mjs";

/**
 * `run`: what ingest.mjs measured of the collector (ingest, storedAtWindow, settleMs, cpu, memory,
 * afterIngest, its /metrics text, the fleet's stats); `peer`: the sink's ingest, cpu and memory;
 * `setup`: the counts, limits and flags of the run.
 */
export function collectorIngestRows({ run, peer, setup }) {
  const { ingest, storedAtWindow, settleMs, cpu, memory, afterIngest, metrics, stats } = run;
  const { ctx, count, tags, capMs, restCapMs, windowMs, simThreads, agentIntervalMs } = setup;
  const recomputes = metricSum(metrics, "imagedrift_findings_recompute_duration_seconds_count");
  const recomputeSeconds = metricSum(metrics, "imagedrift_findings_recompute_duration_seconds_sum");
  const ingestSeconds = metricSum(metrics, "imagedrift_inventory_ingest_duration_seconds_sum");
  const registryRequests = metricSum(metrics, "imagedrift_registry_requests_total");
  const heap = {
    used: metricSum(metrics, "nodejs_heap_size_used_bytes") / MIB,
    total: metricSum(metrics, "nodejs_heap_size_total_bytes") / MIB,
    external: metricSum(metrics, "nodejs_external_memory_bytes") / MIB,
  };
  const streams = `${stats.streams} streams, ${stats.reconnects} reconnects, ${stats.errors} stream errors${stats.lastError ? ` (last: ${stats.lastError})` : ""}`;
  return [
    row({
      name: `ingest: cold ingest, ${count} agents x ${tags.length} images`,
      value: ingest.ms / 1000,
      unit: "s",
      peer: "sink.mjs: same streams and bytes, protobuf decode + raw better-sqlite3 inserts of a row per image, container, pod and tag (migration 1 schema), one transaction per inventory",
      peerValue: peer.ingest.ms / 1000,
      target: "value <= 10",
      notes:
        (ingest.complete
          ? ""
          : `NOT FINISHED: only ${ingest.stored}/${count} inventories stored when timing stopped at ${(capMs / 1000).toFixed(0)} s, so the value is a lower bound (${storedAtWindow} stored ${(restCapMs / 1000).toFixed(0)} s later). `) +
        (peer.ingest.complete ? "" : `The peer did not finish either (${peer.ingest.stored}/${count}). `) +
        `First Connect until every inventory is committed (polled in the process's SQLite file). ` +
        `CPU in that time: the collector ${ingest.cpu.receiver.toFixed(1)} s (${((ingest.cpu.receiver * 1000) / count).toFixed(2)} ms per agent), ` +
        `the simulator ${ingest.cpu.simulator.toFixed(1)} s, on ${availableParallelism()} cores (the peer ${peer.ingest.cpu.receiver.toFixed(1)} s, its simulator ${peer.ingest.cpu.simulator.toFixed(1)} s). ` +
        `Inside the collector: ${recomputes} findings recomputes took ${recomputeSeconds.toFixed(1)} s, ` +
        `validating+storing inventories ${ingestSeconds.toFixed(1)} s (its own histograms, ingest and settle together). ` +
        `Tags resolved and CPU calm ${(settleMs / 1000).toFixed(1)} s after ingest; ${registryRequests} registry requests for the ${tags.length} shared tags. ` +
        `Simulator: ${simThreads} worker threads, ${streams}. Target is for 5,000 agents.` +
        (ctx.collectorArgs.length > 0 ? ` Collector flags: ${ctx.collectorArgs.join(" ")}.` : "") +
        (ctx.collectorNodeFlags.length > 0 ? ` Collector's Node flags: ${ctx.collectorNodeFlags.join(" ")}.` : ""),
    }),
    row({
      name: `ingest: collector CPU, heartbeat steady state, ${count} agents`,
      value: cpu * 100,
      unit: "% of a core",
      peer: "sink.mjs holding the same streams (heartbeat = one UPDATE)",
      peerValue: peer.cpu * 100,
      target: "value <= 5",
      notes: `${storedAtWindow < count ? `NOT A STEADY STATE: ${count - storedAtWindow} agents were still being admitted during the window. ` : ""}utime+stime over ${windowMs / 1000} s; agents heartbeat every ${agentIntervalMs / 1000} s (the agent's default interval) at random phases, with grpc keepalive pings every 30 s; ${stats.heartbeats} heartbeats sent in the whole run.`,
    }),
    row({
      name: `ingest: collector peak RSS, ${count} agents`,
      value: memory.peak / MIB,
      unit: "MiB",
      peer: "sink.mjs peak RSS for the same streams and inventories",
      peerValue: peer.memory.peak / MIB,
      target: "value <= 512",
      notes:
        `VmHWM. VmRSS ${(afterIngest.rss / MIB).toFixed(0)} MiB right after ingest, ${(memory.rss / MIB).toFixed(0)} MiB after the heartbeat window; ` +
        `V8 heap then ${heap.used.toFixed(0)} MiB used of ${heap.total.toFixed(0)} MiB, ${heap.external.toFixed(0)} MiB external (its /metrics).`,
    }),
  ];
}
