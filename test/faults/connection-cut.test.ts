/**
 * Fault: the network between an agent and the collector cut, then restored
 * (issue #8). A TCP proxy on loopback sits between the real agent (on real
 * containerd) and the real collector. While cut, the agent tries again with
 * capped, jittered backoff (its debug log gives each delay; the proxy logs
 * each connection attempt); the collector marks the node missing after 3
 * intervals without a report; once restored the node reports again.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findings, nodes } from "../collector/api.js";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { reportRecovery, since } from "./recovery.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

const INTERVAL_MS = 1_000;
/** The collector looks for silent nodes every 2 s (DriftService). */
const SWEEP_MS = 2_000;
/** packages/agent/src/backoff.ts: from 0.5 s, doubling, capped at 30 s; jittered down to half the minimum. */
const BACKOFF = { minMs: 500, maxMs: 30_000 };

let lab: Lab;
let dir: string;
let collector: Collector;
let proxy: TcpProxy;
let agent: Agent;

const n1 = async () => (await nodes(collector.url)).find((n) => n.name === "n1");

/** The delays the agent logged before each reconnect attempt since `sinceIso`. */
async function reconnectDelays(sinceIso: string): Promise<number[]> {
  const lines = (await readFile(join(dir, "agent-n1.log"), "utf8")).split("\n").filter((l) => l.startsWith("{"));
  return lines
    .map((l) => JSON.parse(l) as { time: string; msg: string; inMs?: number })
    .filter((l) => l.msg === "reconnecting to collector" && l.time >= sinceIso)
    .map((l) => l.inMs ?? Number.NaN);
}

beforeAll(async () => {
  lab = await startLab({ nodes: 1 });
  await lab.buildAndPush("shop/app:1", { salt: "connection cut" });
  const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
  await cri.pullImage(lab.ref("shop/app:1")).finally(() => cri.close());
  // Inside the lab dir: the lab removes it.
  dir = await mkdtemp(join(lab.dir, "collector-"));
  collector = await startCollector({ dir, resolveInterval: "2s" });
  proxy = await startTcpProxy(collector.grpcAddress);
  agent = await startAgent({
    dir,
    node: "n1",
    endpoint: lab.node("n1").endpoint,
    collector: proxy.address,
    interval: `${INTERVAL_MS}ms`,
    extraArgs: ["--log-level", "debug"],
  });
  await waitFor(async () => (await n1())?.state === "reporting", { what: "n1 reporting", timeoutMs: 30_000 });
});

afterAll(async () => {
  await agent?.stop();
  await proxy?.close();
  await collector?.stop();
  await lab?.stop();
});

describe("the agent ↔ collector connection cut and restored", () => {
  it("marks the node missing after 3 intervals, the agent backs off with jitter, and reports again once restored", async () => {
    const cutAtIso = new Date().toISOString();
    const cut = performance.now();
    proxy.cut();

    const missing = await waitFor(
      async () => {
        const node = await n1();
        const finding = (await findings(collector.url)).find((f) => f.kind === "agent-missing" && f.reference === "n1");
        return node?.state === "missing" && finding ? node : undefined;
      },
      { what: "n1 missing", timeoutMs: 15_000, intervalMs: 100 },
    );
    const missingAfter = since(cut);
    // Missing means more than 3 intervals since the last report, seen within one sweep.
    expect(Date.now() - Date.parse(missing.lastReportAt)).toBeGreaterThan(3 * INTERVAL_MS);
    expect(missingAfter).toBeLessThan(3 * INTERVAL_MS + SWEEP_MS + 1_500);

    // Stay cut a while longer, so that the backoff has room to grow.
    while (since(cut) < 10_000) await delay(250);
    const delays = await reconnectDelays(cutAtIso);
    const attempts = proxy.refused.length;

    const restored = performance.now();
    proxy.restore();
    await waitFor(
      async () =>
        (await n1())?.state === "reporting" && !(await findings(collector.url)).some((f) => f.kind === "agent-missing"),
      { what: "n1 reporting again", timeoutMs: BACKOFF.maxMs + 15_000, intervalMs: 100 },
    );
    const recovered = since(restored);

    // Capped exponential backoff with jitter: the k-th delay lies in [min/2, min(max, min·2^k)].
    expect(delays.length).toBeGreaterThanOrEqual(3);
    delays.forEach((ms, k) => {
      expect(ms, `delay ${k}`).toBeGreaterThanOrEqual(BACKOFF.minMs / 2);
      expect(ms, `delay ${k}`).toBeLessThanOrEqual(Math.min(BACKOFF.maxMs, BACKOFF.minMs * 2 ** k));
    });
    expect(new Set(delays).size, "jittered: not all the same").toBeGreaterThan(1);
    expect(Math.max(...delays), "the ceiling grows past the first one").toBeGreaterThan(BACKOFF.minMs);
    // No tight loop against a dead path: a handful of TCP connections in 10 s.
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(20);
    // Back within the delay the agent was waiting out when the path came back, plus one interval.
    expect(recovered).toBeLessThan(BACKOFF.maxMs + 2 * INTERVAL_MS + 5_000);

    console.log(
      `[faults] connection cut: n1 missing ${missingAfter.toFixed(0)} ms after the cut; agent reconnect delays ` +
        `${delays.join(", ")} ms; ${attempts} TCP connection attempts during the 10 s cut`,
    );
    reportRecovery("agent ↔ collector connection cut for 10 s", recovered, "from restore to n1 reporting again");
  });
});
