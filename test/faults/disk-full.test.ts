/**
 * Fault: the disk under SQLite full (issue #8). The collector's database
 * lives on a small tmpfs mounted for this test; a filler file takes every
 * free byte; simulated agents (the real protocol) then send inventories ten
 * times larger, agents reconnect, a new node appears, and the collector is
 * killed and started again, all while the disk is full. The collector must
 * log a clear error (SQLITE_FULL named), stay up (and start) and keep serving
 * reads, keep the file sound, and store every latest inventory once the
 * filler is deleted.
 */
import { execFileSync } from "node:child_process";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { NodeImageItem } from "@imagedrift/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { images, nodes } from "../collector/api.js";
import { sendSignal } from "../lab/process.js";
import { waitFor } from "../lab/wait.js";
import { type Collector, startCollector } from "../scenario/processes.js";
import { integrityCheck, storedHashes } from "./collector-db.js";
import { reportRecovery, since } from "./recovery.js";
import { SimulatedAgent } from "./simulated-agent.js";

const AGENTS = 5;
const SMALL = 50;
const LARGE = 1_500;
/** Nothing listens on port 1: the simulated tags stay unresolved without leaving the machine. */
const NO_REGISTRY = "127.0.0.1:1";

let dir: string;
let mountpoint: string;
let mounted = false;
let collector: Collector;
const agents: SimulatedAgent[] = [];

/** Writes `file` until the filesystem refuses another byte; returns the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, "w");
  let written = 0;
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

/** A node's images in id order (a restarted collector lists them in the database's order). */
const byId = (items: NodeImageItem[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));

/** Every agent's latest inventory is the one stored. */
function allStored(): boolean {
  const stored = storedHashes(collector.db);
  return agents.every((a) => a.welcomed && stored.get(a.node) === a.hash);
}

beforeAll(async () => {
  dir = await mkdtemp("/tmp/idf-disk-");
  mountpoint = join(dir, "db");
  await mkdir(mountpoint);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mountpoint]);
  mounted = true;
  collector = await startCollector({ dir, db: join(mountpoint, "imagedrift.db"), resolveInterval: "2s" });
  for (let i = 0; i < AGENTS; i++) {
    const agent = new SimulatedAgent({
      node: `disk-${i}`,
      address: collector.grpcAddress,
      host: NO_REGISTRY,
      images: SMALL,
      intervalMs: 1_000,
    });
    agent.start();
    agents.push(agent);
  }
  await waitFor(allStored, { what: "every simulated node stored", timeoutMs: 30_000 });
});

afterAll(async () => {
  for (const agent of agents) agent.stop();
  await collector?.stop();
  if (mounted) execFileSync("umount", [mountpoint]);
  await rm(dir, { recursive: true, force: true });
});

describe("the disk under SQLite full", () => {
  let before: NodeImageItem[];
  let filler: string;
  let filled = 0;
  let full = 0;

  /** Up, and serving what it stored before the disk filled. */
  async function expectServingReads(): Promise<void> {
    expect(collector.daemon.exit).toBeUndefined();
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    expect((await nodes(collector.url)).map((n) => n.name).sort()).toEqual(
      Array.from({ length: AGENTS }, (_, i) => `disk-${i}`),
    );
    expect(byId(await images(collector.url, "disk-0"))).toEqual(before);
  }

  it("logs SQLITE_FULL by name, stays up and keeps serving reads", async () => {
    before = byId(await images(collector.url, "disk-0"));
    expect(before).toHaveLength(SMALL);
    filler = join(mountpoint, "filler");
    filled = fill(filler);
    full = performance.now();
    for (const agent of agents) agent.revise(1, LARGE);

    const lines = await waitFor(
      async () => {
        const found = (await readFile(collector.daemon.logFile, "utf8"))
          .split("\n")
          .filter((l) => l.includes("SQLITE_FULL"));
        return found.length >= AGENTS ? found : undefined;
      },
      { what: "SQLITE_FULL in the collector's log", timeoutMs: 20_000, intervalMs: 200 },
    );
    for (const line of lines) {
      // One JSON object a line: nothing crashed onto stderr.
      const entry = JSON.parse(line) as { level: string; msg: string; error: { code: string; message: string } };
      expect(["warn", "error"]).toContain(entry.level);
      expect(entry.error.code).toBe("resource-exhausted");
      expect(entry.error.message).toMatch(/^storing .+: SQLITE_FULL: database or disk is full/);
    }
    for (let i = 0; i < 5; i++) {
      await expectServingReads();
      await delay(500);
    }
    expect(allStored()).toBe(false);
  });

  it("welcomes agents that connect while it is full, and starts again on the full disk after a kill", async () => {
    // A reconnecting agent and a node never seen: their hellos cannot be stored.
    agents[0]?.stop();
    agents[0]?.start();
    const newcomer = new SimulatedAgent({
      node: "disk-new",
      address: collector.grpcAddress,
      host: NO_REGISTRY,
      images: SMALL,
      intervalMs: 1_000,
    });
    newcomer.start();
    agents.push(newcomer);
    await waitFor(() => agents.every((a) => a.welcomed), { what: "every agent welcomed", timeoutMs: 10_000 });

    const ports = {
      httpPort: Number(new URL(collector.url).port),
      grpcPort: Number(collector.grpcAddress.split(":")[1]),
    };
    sendSignal(collector.daemon.pid, "SIGKILL");
    await waitFor(() => collector.daemon.exit !== undefined, { what: "the collector to die" });
    collector = await startCollector({ dir, db: collector.db, resolveInterval: "2s", ...ports });
    await expectServingReads();
    await waitFor(() => agents.every((a) => a.welcomed), { what: "every agent welcomed again", timeoutMs: 40_000 });
    await expectServingReads();
    expect(allStored()).toBe(false);
  });

  it("stores every inventory once space returns, and the file is sound", async () => {
    rmSync(filler);
    const freed = performance.now();
    await waitFor(allStored, { what: "every latest inventory stored", timeoutMs: 30_000, intervalMs: 200 });
    const recovered = since(freed);
    expect(await images(collector.url, "disk-0")).toHaveLength(LARGE);
    expect((await nodes(collector.url)).map((n) => n.name)).toContain("disk-new");
    expect(collector.daemon.exit).toBeUndefined();
    expect(integrityCheck(collector.db)).toBe("ok");
    reportRecovery(
      "disk under SQLite full",
      recovered,
      `from the filler (${(filled / 2 ** 20).toFixed(1)} MiB) deleted to every inventory stored; ` +
        `full for ${(freed - full).toFixed(0)} ms, a collector restart included`,
    );
  });
});
