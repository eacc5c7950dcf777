/**
 * The phases of an ingest run that ingest.mjs and ingest-tls.mjs time against one receiving process (the
 * collector or sink.mjs): its cold ingest and the rest of it, read from the process's own SQLite file; the
 * collector settling after it; a heap snapshot of it.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { isAlive } from "../../test/dist/lab/index.js";
import { cpuSeconds, cpuShare, fmtMs, MIB, metricSum, sleep, until } from "./measure.mjs";

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
export async function coldIngest({ fleet, address, ca, dbFile, count, pid, capMs, log }) {
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
export async function rest({ dbFile, count, capMs }) {
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
export async function heapSnapshot(pid, dir, log) {
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

/**
 * Waits until the collector has resolved every tag, its CPU has calmed and no findings recompute has run
 * for 10 s (or `capMs` passed); returns ms waited.
 */
export async function settle({ collector, tagCount, capMs, log }) {
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
    const count = metricSum(text, "imagedrift_findings_recompute_duration_seconds_count");
    if (count !== recomputes) {
      recomputes = count;
      stableSince = performance.now();
    }
    if (share < 0.3 && performance.now() - stableSince >= 10_000) break;
    log(`  collector still busy (${(share * 100).toFixed(0)} % of a core, ${count} recomputes so far)`);
  }
  return performance.now() - t0;
}
