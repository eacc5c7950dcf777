/**
 * Fault: the collector killed with SIGKILL (issue #8) in the middle of heavy
 * ingest and of a job, and restarted on the same database and ports. Reporting: one real agent on real containerd, 60
 * simulated agents (the real protocol, in worker threads) whose inventories
 * keep changing, and one simulated node that holds a job's command
 * without answering until after the restart.
 *
 * After the kill: `PRAGMA integrity_check` is ok on the file the killed
 * process left (opened read-only) and again under the new process; every
 * tag_history row and job present before the kill is still there; every node
 * reports again and holds its agent's latest inventory; the job finishes.
 *
 * Each simulated inventory holds 60 images and changes once a second: about
 * 60 inventories a second, a good part of one core of the collector on this
 * machine, so that writes are always under way without building a backlog
 * the collector could never clear.
 */
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { PullItem } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodes } from "../collector/api.js";
import { createJob, finishedJob, getJob } from "../jobs/jobs-api.js";
import { type Lab, startLab } from "../lab/index.js";
import { sendSignal } from "../lab/process.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, type Collector, type Ports, startCollector } from "../scenario/processes.js";
import { startLabAgent } from "../scenario/reporting-pair.js";
import { type Fleet, startFleet } from "./agent-fleet.js";
import { integrityCheck, readDatabase, storedHashes } from "./collector-db.js";
import { reportRecovery, since } from "./recovery.js";
import { SimulatedAgent } from "./simulated-agent.js";

const TOKEN = "faults-kill-3e1d";
const SIMULATED = 60;
const INTERVAL_MS = 1_000;

let lab: Lab;
let dir: string;
let collector: Collector;
let ports: Ports;
let agent: Agent;
let fleet: Fleet;
let slow: SimulatedAgent;
/** Whether the slow node answers the commands it gets (it holds them until told). */
let slowAnswers = false;
const held: string[] = [];
let revision = 0;

/** Every simulated inventory changes every second while this runs: the collector is always mid-ingest. */
function churn(): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      revision += 1;
      await fleet.revise(revision);
      await delay(INTERVAL_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

interface Snapshot {
  historyRows: number;
  maxHistoryId: number;
  jobs: { id: string; state: string; nodes: number }[];
}

function snapshot(): Snapshot {
  return readDatabase(collector.db, (db) => {
    const history = db.prepare("SELECT count(*) AS n, coalesce(max(id), 0) AS maxId FROM tag_history").get() as {
      n: number;
      maxId: number;
    };
    const jobs = db
      .prepare("SELECT j.id, j.state, (SELECT count(*) FROM job_nodes n WHERE n.job_id = j.id) AS nodes FROM jobs j")
      .all() as Snapshot["jobs"];
    return { historyRows: history.n, maxHistoryId: history.maxId, jobs };
  });
}

/** Everything of `before` is still in the database. */
function expectKept(before: Snapshot): void {
  const kept = readDatabase(collector.db, (db) => ({
    history: (
      db.prepare("SELECT count(*) AS n FROM tag_history WHERE id <= ?").get(before.maxHistoryId) as { n: number }
    ).n,
    jobs: db
      .prepare("SELECT j.id, (SELECT count(*) FROM job_nodes n WHERE n.job_id = j.id) AS nodes FROM jobs j")
      .all() as { id: string; nodes: number }[],
  }));
  expect(kept.history).toBe(before.historyRows);
  for (const job of before.jobs) expect(kept.jobs).toContainEqual({ id: job.id, nodes: job.nodes });
}

async function kill(): Promise<void> {
  sendSignal(collector.daemon.pid, "SIGKILL");
  await waitFor(() => collector.daemon.exit !== undefined, { what: "the collector to die" });
  expect(collector.daemon.exit).toBe("signal SIGKILL");
}

async function restart(): Promise<void> {
  collector = await startCollector({ dir, token: TOKEN, resolveInterval: "2s", db: collector.db, ...ports });
}

/** Every node reporting, and each simulated node's stored hash is its agent's latest. */
async function allReporting(): Promise<boolean> {
  const list = await nodes(collector.url);
  if (list.length !== SIMULATED + 2 || list.some((n) => n.state !== "reporting")) return false;
  const stored = storedHashes(collector.db);
  const agents = [...(await fleet.status()), slow.status()];
  return agents.every((a) => a.welcomed && stored.get(a.node) === a.hash);
}

beforeAll(async () => {
  lab = await startLab({ nodes: 1 });
  await lab.buildAndPush("shop/app:1", { salt: "collector kill" });
  const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
  await cri.pullImage(lab.ref("shop/app:1")).finally(() => cri.close());
  // Inside the lab dir: the lab removes it.
  dir = await mkdtemp(join(lab.dir, "collector-"));
  collector = await startCollector({ dir, token: TOKEN, resolveInterval: "2s" });
  ports = collector.ports;
  agent = await startLabAgent({ dir, lab, collector, interval: `${INTERVAL_MS}ms` });
  fleet = await startFleet({
    nodes: Array.from({ length: SIMULATED }, (_, i) => `sim-${String(i).padStart(3, "0")}`),
    threads: 2,
    address: collector.grpcAddress,
    host: lab.registry.host,
    images: 60,
    intervalMs: INTERVAL_MS,
    token: TOKEN,
  });
  await fleet.start();
  slow = new SimulatedAgent({
    node: "slow-node",
    address: collector.grpcAddress,
    host: lab.registry.host,
    images: 20,
    intervalMs: INTERVAL_MS,
    token: TOKEN,
    onCommand: (command, reply) => {
      held.push(command.id);
      if (!slowAnswers) return;
      const spec = JSON.parse(command.specJson) as { images: PullItem[] };
      const pulled = spec.images.map((i) => ({
        ref: i.ref,
        imageId: `sha256:${"e".repeat(64)}`,
        digest: i.expectedDigest,
        verified: true,
        alreadyPresent: false,
      }));
      reply({ id: command.id, state: "succeeded", message: "pulled", resultJson: JSON.stringify({ pulled }) });
    },
  });
  slow.start();
  await waitFor(allReporting, { what: "every node reporting", timeoutMs: 60_000, intervalMs: 250 });
});

afterAll(async () => {
  slow?.stop();
  await fleet?.stop();
  await agent?.stop();
  await collector?.stop();
  await lab?.stop();
});

describe("the collector killed with SIGKILL during ingest and during a job", () => {
  it("leaves a sound database, loses no history or job, resumes the job, and every node reports its latest inventory again", async () => {
    const load = churn();
    try {
      const ref = lab.ref("shop/job:1");
      await lab.buildAndPush(ref, { salt: "kill mid-job" });
      const job = await createJob(collector.url, TOKEN, {
        type: "prepull",
        images: [ref],
        nodes: ["n1", "slow-node"],
        retries: 5,
      });
      await waitFor(
        async () => {
          const nodesOfJob = (await getJob(collector.url, job.id)).nodes;
          const state = (node: string) => nodesOfJob.find((n) => n.node === node)?.state;
          return state("n1") === "succeeded" && state("slow-node") === "running" && held.length > 0;
        },
        { what: "n1 done and slow-node holding its command", timeoutMs: 30_000 },
      );
      // Ingest under way: tag history grows with every revision.
      const start = snapshot().historyRows;
      await waitFor(() => snapshot().historyRows > start + 2 * SIMULATED, {
        what: "ingest under way",
        timeoutMs: 30_000,
      });

      const before = snapshot();
      expect(before.jobs).toContainEqual({ id: job.id, state: "running", nodes: 2 });
      const killed = performance.now();
      await kill();
      // The file exactly as the killed process left it.
      expect(integrityCheck(collector.db)).toBe("ok");
      slowAnswers = true;
      await restart();
      const up = since(killed);
      expectKept(before);

      const done = await finishedJob(collector.url, job.id, 60_000);
      const jobAfter = since(killed);
      expect(done.state).toBe("succeeded");
      expect(done.nodes.map((n) => [n.node, n.state])).toEqual([
        ["n1", "succeeded"],
        ["slow-node", "succeeded"],
      ]);
      // The agents kept scanning meanwhile; once they stop changing, every node must hold its latest.
      await load.stop();
      await waitFor(allReporting, {
        what: "every node reporting its latest inventory",
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const history = snapshot();
      expect(history.historyRows).toBeGreaterThan(before.historyRows);
      reportRecovery(
        "collector SIGKILLed during ingest and a job",
        since(killed),
        `${SIMULATED + 2} nodes all reporting their latest inventory; collector serving again ${up.toFixed(0)} ms ` +
          `after the kill; job finished ${jobAfter.toFixed(0)} ms after; ${before.historyRows} tag_history rows kept`,
      );
    } finally {
      await load.stop();
    }
    expect(integrityCheck(collector.db)).toBe("ok");
  });
});
