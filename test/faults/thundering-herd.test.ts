/**
 * Load: 500 simulated agents (the real protocol, four worker threads holding
 * 125 streams each) reconnecting at once after the collector was killed and
 * started again (issue #8). While it was down every node's inventory changed,
 * so every agent must deliver a new one: none may be lost (every node's
 * latest inventory hash is stored), every node reports again, and the
 * collector's memory stays bounded. Prints the time to recover and the RSS.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodes } from "../collector/api.js";
import { type Daemon, sendSignal, startDaemon } from "../lab/process.js";
import { waitFor } from "../lab/wait.js";
import { COLLECTOR_BIN, type Collector, startCollector } from "../scenario/processes.js";
import { type Fleet, startFleet } from "./agent-fleet.js";
import { storedHashes } from "./collector-db.js";
import { reportRecovery, since } from "./recovery.js";

const AGENTS = 500;
const IMAGES = 30;
const INTERVAL_MS = 5_000;
const MIB = 2 ** 20;
/** Generous: the collector holds every inventory in memory and in SQLite's cache. */
const RSS_LIMIT_MIB = 768;
/** Nothing listens on port 1: the simulated tags stay unresolved without leaving the machine. */
const NO_REGISTRY = "127.0.0.1:1";

let dir: string;
let collector: Collector;
let fleet: Fleet;

/**
 * The collector started again on its database and ports while the agents pour in. startCollector
 * gives a collector 15 s to log that it started; under the herd it needs longer (its gRPC listener
 * opens before its HTTP one), so this one waits up to a minute for /healthz.
 */
async function restartUnderHerd(ports: { httpPort: number; grpcPort: number }): Promise<Daemon> {
  const args = [
    COLLECTOR_BIN,
    ...["--db", collector.db, "--listen", `127.0.0.1:${ports.httpPort}`],
    ...["--grpc-listen", `127.0.0.1:${ports.grpcPort}`, "--kubernetes", "off", "--resolve-interval", "30s"],
  ];
  const daemon = await startDaemon({
    name: "collector",
    command: process.execPath,
    args,
    logFile: collector.daemon.logFile,
    ready: async () => (await fetch(`${collector.url}/healthz`)).ok,
    readyTimeoutMs: 60_000,
  });
  collector = { ...collector, daemon, stop: () => daemon.stop() };
  return daemon;
}

/** VmRSS and VmHWM (peak) of a process, in bytes. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 };
}

/** How many nodes hold their agent's latest inventory, and whether every node reports. */
async function progress(): Promise<{ stored: number; reporting: number }> {
  const stored = storedHashes(collector.db);
  const agents = await fleet.status();
  const reporting = (await nodes(collector.url)).filter((n) => n.state === "reporting").length;
  return { stored: agents.filter((a) => stored.get(a.node) === a.hash).length, reporting };
}

const recovered = async () => {
  const { stored, reporting } = await progress();
  return stored === AGENTS && reporting === AGENTS;
};

beforeAll(async () => {
  dir = await mkdtemp("/tmp/idf-herd-");
  collector = await startCollector({ dir, resolveInterval: "30s" });
  fleet = await startFleet({
    nodes: Array.from({ length: AGENTS }, (_, i) => `herd-${String(i).padStart(3, "0")}`),
    threads: 4,
    address: collector.grpcAddress,
    host: NO_REGISTRY,
    images: IMAGES,
    intervalMs: INTERVAL_MS,
  });
  await fleet.start();
  await waitFor(recovered, { what: `${AGENTS} nodes stored`, timeoutMs: 90_000, intervalMs: 500 });
});

afterAll(async () => {
  await fleet?.stop();
  await collector?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe(`${AGENTS} agents reconnecting at once after a collector restart`, () => {
  it("loses no report, brings every node back to reporting, and keeps the collector's memory bounded", async () => {
    const steady = memory(collector.daemon.pid);
    const ports = {
      httpPort: Number(new URL(collector.url).port),
      grpcPort: Number(collector.grpcAddress.split(":")[1]),
    };
    const killed = performance.now();
    sendSignal(collector.daemon.pid, "SIGKILL");
    await waitFor(() => collector.daemon.exit !== undefined, { what: "the collector to die" });
    // Every node rescans while the collector is away and finds something new.
    await fleet.revise(1);
    const restarted = performance.now();
    const daemon = await restartUnderHerd(ports);
    const serving = since(restarted);
    const pid = daemon.pid;

    let peak = memory(pid).rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, memory(pid).rss);
    }, 100);
    try {
      await waitFor(recovered, {
        what: `every node reporting its latest inventory`,
        timeoutMs: 120_000,
        intervalMs: 250,
      });
    } finally {
      clearInterval(sampler);
    }
    const afterRestart = since(restarted);
    peak = Math.max(peak, memory(pid).peak);
    const statuses = await fleet.status();
    expect(statuses.every((s) => s.welcomed)).toBe(true);
    expect(peak / MIB).toBeLessThan(RSS_LIMIT_MIB);
    console.log(
      `[faults] thundering herd: collector RSS ${(steady.rss / MIB).toFixed(0)} MiB before the kill, ` +
        `peak ${(peak / MIB).toFixed(0)} MiB while ${AGENTS} agents reconnected (limit ${RSS_LIMIT_MIB} MiB); ` +
        `${statuses.reduce((n, s) => n + s.inventoriesSent, 0)} inventories sent`,
    );
    reportRecovery(
      `collector restart under ${AGENTS} reconnecting agents`,
      since(killed),
      `from the kill to every node's latest inventory stored and every node reporting; the restarted collector ` +
        `answered /healthz ${serving.toFixed(0)} ms after its start, ${afterRestart.toFixed(0)} ms to recover from its start`,
    );
  });
});
