/**
 * ingest (and the HTTP half of findings): N simulated agents × 300 images,
 * speaking the real protocol from worker threads, first to the peer (sink.mjs:
 * decode + raw SQLite inserts of the same rows), then to the real collector
 * process. Per process: cold ingest time (first Connect → every node's
 * inventory committed, read from its SQLite file), CPU share in the heartbeat
 * steady state (/proc/PID/stat), peak RSS; then, on the loaded collector,
 * p99 of GET /api/v1/findings, /api/v1/tags and /healthz under 20 clients.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { isAlive } from "../test/dist/lab/index.js";
import { startFleet } from "./lib/agent-sim.mjs";
import { getInTurn, load, readAllPages } from "./lib/http-load.mjs";
import { tlsIngestRows } from "./lib/ingest-tls.mjs";
import { cpuSeconds, cpuShare, fmtMs, MIB, median, memoryOf, percentile, sleep, until } from "./lib/measure.mjs";
import { cpuProfFlags, startCollector, startSink } from "./lib/procs.mjs";
import { row } from "./lib/report.mjs";

const SIM_THREADS = 4;
const AGENT_INTERVAL_MS = 60_000; // the agent's default --interval
const HTTP_TIMEOUT_MS = 120_000;
const HEAP_SNAPSHOT_MAX_AGENTS = 200;

/** How many nodes' inventories are committed, read from the receiving process's own SQLite file. */
function storedCounter(dbFile) {
  let db;
  const count = () => {
    db ??= new Database(dbFile, { readonly: true, fileMustExist: true });
    return db.prepare("SELECT count(*) AS n FROM nodes WHERE inventory_hash IS NOT NULL").get().n;
  };
  count.close = () => db?.close();
  return count;
}

/**
 * Opens every agent's stream to `address` and polls until all `count`
 * inventories are committed or `capMs` has passed, logging progress every 5 s.
 * Returns `{ ms, stored, complete, cpu }`; when not complete, `ms` is a lower
 * bound. `cpu`: CPU-seconds of the receiver and of this process (the
 * simulator's worker threads, and the polling) over the same time.
 */
async function coldIngest({ fleet, address, ca, dbFile, count, pid, capMs, log }) {
  const stored = storedCounter(dbFile);
  const t0 = performance.now();
  const receiver0 = cpuSeconds(pid);
  const simulator0 = process.cpuUsage();
  const done = (ms, n, complete) => {
    const simulator = process.cpuUsage(simulator0);
    const spent = { receiver: cpuSeconds(pid) - receiver0, simulator: (simulator.user + simulator.system) / 1e6 };
    return { ms, stored: n, complete, cpu: spent };
  };
  await fleet.connect(address, { ca });
  let next = t0 + 5_000;
  let cpu = { at: t0, seconds: receiver0 };
  let n = 0;
  try {
    for (;;) {
      n = stored();
      const now = performance.now();
      if (!isAlive(pid))
        throw new Error(`the receiving process (pid ${pid}) died with ${n}/${count} stored; see its log`);
      if (n >= count) return done(now - t0, n, true);
      if (now - t0 >= capMs) return done(now - t0, n, false);
      if (now >= next) {
        next = now + 5_000;
        const seconds = cpuSeconds(pid);
        const share = (seconds - cpu.seconds) / ((now - cpu.at) / 1000);
        cpu = { at: now, seconds };
        const s = await fleet.stats();
        log(
          `  ${n}/${count} stored after ${fmtMs(now - t0)}; receiver at ${(share * 100).toFixed(0)} % of a core; ` +
            `agents: ${s.welcomed} welcomed, ${s.inventoriesSent} inventories sent, ${s.reconnects} reconnects, ${s.errors} errors` +
            (s.lastError ? ` (last: ${s.lastError.slice(0, 120)})` : ""),
        );
      }
      await sleep(100);
    }
  } finally {
    stored.close();
  }
}

/** Waits (at most `capMs`) for the rest of the inventories; returns how many are stored. */
async function rest({ dbFile, count, capMs }) {
  const stored = storedCounter(dbFile);
  try {
    const t0 = performance.now();
    let n = stored();
    while (n < count && performance.now() - t0 < capMs) {
      await sleep(1_000);
      n = stored();
    }
    return n;
  } finally {
    stored.close();
  }
}

/** Asks the process (started with --heapsnapshot-signal=SIGUSR2) for a heap snapshot and waits until it is written. */
async function heapSnapshot(pid, dir, log) {
  const snapshots = () => readdirSync(dir).filter((f) => f.endsWith(".heapsnapshot"));
  const before = new Set(snapshots());
  process.kill(pid, "SIGUSR2");
  let size = -1;
  await until(
    () => {
      const file = snapshots().find((f) => !before.has(f));
      if (!file) return false;
      const now = statSync(join(dir, file)).size;
      const done = now > 0 && now === size;
      size = now;
      if (done) log(`  heap snapshot ${file}: ${(now / MIB).toFixed(0)} MiB`);
      return done;
    },
    { what: "the collector's heap snapshot", timeoutMs: 300_000, intervalMs: 2_000 },
  );
}

/** Sums every series of a metric in Prometheus text. */
function metric(text, name) {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/**
 * Waits until the collector has resolved every tag, its CPU has calmed and no findings recompute has run
 * for 10 s (or `capMs` passed); returns ms waited.
 */
async function settle({ collector, tagCount, capMs, log }) {
  const t0 = performance.now();
  const db = new Database(collector.db, { readonly: true, fileMustExist: true });
  try {
    await until(() => db.prepare("SELECT count(*) AS n FROM tags").get().n >= tagCount, {
      what: `${tagCount} tags resolved by the collector`,
      timeoutMs: capMs,
      intervalMs: 500,
    }).catch((error) => log(`  ${error.message}`));
  } finally {
    db.close();
  }
  // Resolutions make findings recompute once more, after a delay: calm means no recompute for 10 s, too.
  let recomputes = -1;
  let stableSince = performance.now();
  while (performance.now() - t0 < capMs) {
    const share = await cpuShare(collector.pid, 2_000);
    const text = await (await fetch(`${collector.url}/metrics`, { signal: AbortSignal.timeout(60_000) })).text();
    const count = metric(text, "imagedrift_findings_recompute_duration_seconds_count");
    if (count !== recomputes) {
      recomputes = count;
      stableSince = performance.now();
    }
    if (share < 0.3 && performance.now() - stableSince >= 10_000) break;
    log(`  collector still busy (${(share * 100).toFixed(0)} % of a core, ${count} recomputes so far)`);
  }
  return performance.now() - t0;
}

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
      const mark = () => Number(process.hrtime.bigint() / 1000n);
      let from = mark();
      const ingest = await coldIngest({
        fleet,
        address: collector.grpcAddress,
        dbFile: collector.db,
        pid: collector.pid,
        count,
        capMs,
        log,
      });
      windows["cold ingest"] = [from, mark()];
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
      from = mark();
      const cpu = await cpuShare(collector.pid, windowMs);
      windows["heartbeat steady state"] = [from, mark()];
      const memory = memoryOf(collector.pid);
      // A snapshot of a heap past a few hundred MiB is too big to write quickly or to parse here.
      if (ctx.profile && count <= HEAP_SNAPSHOT_MAX_AGENTS) await heapSnapshot(collector.pid, ctx.profileDir, log);
      const stats = await fleet.stats();
      const metrics = await (await fetch(`${collector.url}/metrics`, { signal: AbortSignal.timeout(300_000) })).text();
      const recomputes = metric(metrics, "imagedrift_findings_recompute_duration_seconds_count");
      const recomputeSeconds = metric(metrics, "imagedrift_findings_recompute_duration_seconds_sum");
      const ingestSeconds = metric(metrics, "imagedrift_inventory_ingest_duration_seconds_sum");
      const registryRequests = metric(metrics, "imagedrift_registry_requests_total");
      const heap = {
        used: metric(metrics, "nodejs_heap_size_used_bytes") / MIB,
        total: metric(metrics, "nodejs_heap_size_total_bytes") / MIB,
        external: metric(metrics, "nodejs_external_memory_bytes") / MIB,
      };
      log(`  collector: heartbeat CPU ${(cpu * 100).toFixed(2)} %, peak RSS ${(memory.peak / MIB).toFixed(0)} MiB`);
      plaintext = { ms: ingest.ms, complete: ingest.complete, cpu, peak: memory.peak };

      const streams = `${stats.streams} streams, ${stats.reconnects} reconnects, ${stats.errors} stream errors${stats.lastError ? ` (last: ${stats.lastError})` : ""}`;
      emit(
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
            `Simulator: ${SIM_THREADS} worker threads, ${streams}. Target is for 5,000 agents.` +
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
          notes: `${storedAtWindow < count ? `NOT A STEADY STATE: ${count - storedAtWindow} agents were still being admitted during the window. ` : ""}utime+stime over ${windowMs / 1000} s; agents heartbeat every ${AGENT_INTERVAL_MS / 1000} s (the agent's default interval) at random phases, with grpc keepalive pings every 30 s; ${stats.heartbeats} heartbeats sent in the whole run.`,
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
      );

      // Clients that accept gzip (browsers over plain HTTP, the CLI's fetch), then br too (browsers over HTTPS,
      // curl --compressed), then neither.
      const runs = [
        ["/healthz", "gzip"],
        ["/api/v1/findings", "gzip"],
        ["/api/v1/tags", "gzip"],
        ["/api/v1/findings", "gzip, deflate, br"],
        ["/api/v1/findings", null],
        ["/api/v1/tags", null],
      ];
      const keyOf = (path, acceptEncoding) =>
        acceptEncoding === "gzip" ? path : `${path} ${acceptEncoding === null ? "identity" : "br"}`;
      const http = {};
      for (const [path, acceptEncoding] of runs) {
        const key = keyOf(path, acceptEncoding);
        const asked =
          acceptEncoding === null
            ? " without Accept-Encoding"
            : acceptEncoding === "gzip"
              ? ""
              : ` (${acceptEncoding})`;
        log(`findings: GET ${path}${asked}, 20 clients for ${httpMs / 1000} s`);
        from = mark();
        http[key] = await load({
          url: `${collector.url}${path}`,
          clients: 20,
          durationMs: httpMs,
          timeoutMs: HTTP_TIMEOUT_MS,
          acceptEncoding,
        });
        windows[`GET ${key}, 20 clients`] = [from, mark()];
        const r = http[key];
        log(
          `  ${r.latencies.length} answers, p50 ${fmtMs(percentile(r.latencies, 50))}, p99 ${fmtMs(percentile(r.latencies, 99))}, ${(r.bytes / MIB).toFixed(2)} MiB each, ${r.errors} errors ${JSON.stringify(r.statuses)}`,
        );
      }
      // The whole lists, page after page, as the CLI and the web page read them (the tags also as summaries, as
      // `imagedrift tags` reads them for its table); the peer is as many GET /healthz.
      const whole = {};
      for (const path of ["/api/v1/findings", "/api/v1/tags", "/api/v1/tags?view=summary"]) {
        log(`findings: every page of GET ${path}, one client following nextCursor, 5 times`);
        from = mark();
        const reads = [];
        const floor = [];
        for (let i = 0; i < 5; i++) {
          const read = await readAllPages(`${collector.url}${path}`);
          reads.push(read);
          floor.push(await getInTurn(`${collector.url}/healthz`, read.pages));
        }
        windows[`every page of ${path}`] = [from, mark()];
        whole[path] = { reads, floor };
        const r = reads[0];
        log(
          `  ${r.pages} pages, ${r.items} items, ${(r.bytes / MIB).toFixed(2)} MiB of JSON; ${reads.map((x) => fmtMs(x.ms)).join(", ")}`,
        );
      }
      if (ctx.profile) writeFileSync(join(ctx.profileDir, "collector-ingest.windows.json"), JSON.stringify(windows));
      const healthz = http["/healthz"];
      // With no answer at all, the request timeout is a lower bound of the p99.
      const p99 = (r) => (r.latencies.length > 0 ? percentile(r.latencies, 99) : HTTP_TIMEOUT_MS);
      const variants = {
        gzip: { suffix: "", note: "Accept-Encoding: gzip (browsers over plain HTTP, Node's fetch). " },
        br: {
          suffix: ", Accept-Encoding br",
          note: "Accept-Encoding: gzip, deflate, br (browsers over HTTPS, curl --compressed): the collector sends br. ",
        },
        identity: {
          suffix: ", without Accept-Encoding",
          note: "The same answers uncompressed, for clients that accept no coding. ",
        },
      };
      for (const key of Object.keys(http).filter((k) => k !== "/healthz")) {
        const r = http[key];
        const [path, coding = "gzip"] = key.split(" ");
        const variant = variants[coding];
        emit(
          row({
            name: `findings: GET ${path} p99, 20 clients, ${count} nodes${variant.suffix}`,
            value: p99(r),
            unit: "ms",
            peer: "GET /healthz p99, 20 clients, same collector and heartbeats",
            peerValue: p99(healthz),
            target: coding === "gzip" ? "value <= 50" : null,
            notes:
              variant.note +
              (r.latencies.length === 0
                ? `NO ANSWER: every request timed out after ${HTTP_TIMEOUT_MS / 1000} s, so the value is a lower bound. `
                : "") +
              `${r.latencies.length} answers in ${httpMs / 1000} s (closed loop, keep-alive; p99 of fewer than 100 is near the max), ` +
              `p50 ${percentile(r.latencies, 50).toFixed(1)} ms, body ${(r.bytes / MIB).toFixed(2)} MiB, ${r.errors} errors${r.lastError ? ` (${r.lastError})` : ""}; ` +
              `/healthz: ${healthz.latencies.length} answers, p50 ${percentile(healthz.latencies, 50).toFixed(2)} ms.`,
          }),
        );
      }
      for (const [path, { reads, floor }] of Object.entries(whole)) {
        const r = reads[0];
        emit(
          row({
            name: `findings: every page of GET ${path}, one client, ${count} nodes`,
            value: median(reads.map((x) => x.ms)),
            unit: "ms",
            peer: `as many GET /healthz one after another (${r.pages})`,
            peerValue: median(floor),
            target: null,
            notes:
              `Node's fetch (gzip, br) following nextCursor, as the CLI and the web page read a list: ${r.pages} pages, ` +
              `${r.items} items, ${(r.bytes / MIB).toFixed(2)} MiB of JSON in all; median of 5 (${reads.map((x) => x.ms.toFixed(0)).join(", ")} ms).`,
          }),
        );
      }
    } finally {
      await fleet.close();
      await collector.stop();
    }
    if (plaintext) {
      const measure = { coldIngest, rest, settle, cpuShare, memoryOf };
      await tlsIngestRows({ ctx, fleet, dir, count, limits: { capMs, restCapMs, windowMs }, plaintext, measure });
    }
  } finally {
    await fleet.terminate();
  }
  return [];
}
