/**
 * The ingest benchmark's TLS rows: the same fleet and inventories, the
 * collector as the shipped manifests run it (--tls-self-signed: its own CA,
 * a server certificate for its names), every simulated agent trusting that
 * CA with a TLS connection of its own, next to the plaintext collector's
 * figures from the same run (its peer). No Kubernetes API here, so the CA is
 * read from the collector's --tls-dir instead of the Secret.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { coldIngest, rest, settle } from "./ingest-phases.mjs";
import { cpuShare, fmtMs, MIB, memoryOf } from "./measure.mjs";
import { startCollector } from "./procs.mjs";
import { row } from "./report.mjs";

export async function tlsIngestRows({ ctx, fleet, dir, count, limits, plaintext }) {
  const { log, tags } = ctx;
  const tlsDir = join(dir, "tls-collector");
  const collector = await startCollector({
    dir,
    name: "collector-tls",
    extraArgs: [
      "--rate-limit",
      "off",
      "--tls-self-signed",
      "--tls-dir",
      tlsDir,
      "--tls-names",
      "127.0.0.1",
      ...ctx.collectorArgs,
    ],
    nodeFlags: ctx.collectorNodeFlags,
  });
  try {
    const ca = readFileSync(join(tlsDir, "ca.crt"), "utf8");
    log(`ingest: collector over TLS (pid ${collector.pid}) cold ingest`);
    const ingest = await coldIngest({
      fleet,
      address: collector.grpcAddress,
      ca,
      dbFile: collector.db,
      pid: collector.pid,
      count,
      capMs: limits.capMs,
      log,
    });
    const stored = ingest.complete
      ? ingest.stored
      : await rest({ dbFile: collector.db, count, capMs: limits.restCapMs });
    await settle({ collector, tagCount: tags.length, capMs: ctx.quick ? 60_000 : 300_000, log });
    const cpu = await cpuShare(collector.pid, limits.windowMs);
    const memory = memoryOf(collector.pid);
    const stats = await fleet.stats();
    log(
      `  collector over TLS: ${stored}/${count} stored after ${fmtMs(ingest.ms)}, heartbeat CPU ${(cpu * 100).toFixed(2)} %, peak RSS ${(memory.peak / MIB).toFixed(0)} MiB`,
    );
    const how =
      "The collector with --tls-self-signed as deploy/base runs it (ECDSA P-256 certificates it made), each simulated agent " +
      "with its own TLS connection trusting that CA; peer: the plaintext collector of the same run, same fleet and inventories. ";
    ctx.emit(
      row({
        name: `ingest: cold ingest over TLS (as deployed), ${count} agents x ${tags.length} images`,
        value: ingest.ms / 1000,
        unit: "s",
        peer: "the same cold ingest in plaintext (the row above's collector)",
        peerValue: plaintext.ms / 1000,
        target: "value <= 10",
        notes:
          how +
          (ingest.complete
            ? ""
            : `NOT FINISHED: only ${ingest.stored}/${count} stored when timing stopped, so the value is a lower bound (${stored} stored later). `) +
          `CPU in that time: the collector ${ingest.cpu.receiver.toFixed(1)} s, the simulator ${ingest.cpu.simulator.toFixed(1)} s. ` +
          `${stats.streams} streams, ${stats.reconnects} reconnects, ${stats.errors} stream errors${stats.lastError ? ` (last: ${stats.lastError})` : ""}. Target is for 5,000 agents.`,
      }),
      row({
        name: `ingest: collector CPU over TLS, heartbeat steady state, ${count} agents`,
        value: cpu * 100,
        unit: "% of a core",
        peer: "the plaintext collector's heartbeat CPU, same run",
        peerValue: plaintext.cpu * 100,
        target: "value <= 5",
        notes: `${how}utime+stime over ${limits.windowMs / 1000} s of heartbeats (every 60 s per agent).`,
      }),
      row({
        name: `ingest: collector peak RSS over TLS, ${count} agents`,
        value: memory.peak / MIB,
        unit: "MiB",
        peer: "the plaintext collector's peak RSS, same run",
        peerValue: plaintext.peak / MIB,
        target: "value <= 512",
        notes: `${how}VmHWM; a TLS session per agent adds OpenSSL's buffers to each HTTP/2 session.`,
      }),
    );
  } finally {
    await fleet.close();
    await collector.stop();
  }
}
