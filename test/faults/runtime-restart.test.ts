/**
 * Fault: a node's containerd stopped, then started again (issue #8), seen
 * from the collector. While the runtime is down the collector keeps the
 * node's last inventory: no image vanishes from /api/v1/nodes/n1/images and
 * no finding closes or reopens; once containerd is back the agent reports
 * again. The agent's own readiness is test/agent/daemon.test.ts's subject.
 *
 * The runtime stays down for 5 intervals. The agent reports nothing it has
 * not scanned, so after 3 silent intervals n1 is `missing` with an
 * `agent-missing` finding (docs/ARCHITECTURE.md#findings: "has not reported for 3 intervals"), the
 * one finding allowed to open, and it must close once n1 reports again.
 */
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { NodeImageItem } from "@imagedrift/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findings, images, nodes } from "../collector/api.js";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { seedIncidents } from "../scenario/incidents.js";
import { type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { reportRecovery, since } from "./recovery.js";

const INTERVAL_MS = 1_000;
let lab: Lab;
let collector: Collector;
const agents = new Map<string, Agent>();

/** What a node's images look like through the REST API, comparable. */
const imageSet = (items: readonly NodeImageItem[]) =>
  items.map((i) => `${i.id} ${[...i.repoTags].sort().join(",")} ${[...i.repoDigests].sort().join(",")}`).sort();

/** Every finding but agent-missing, as `kind reference id firstSeenAt`: a close and reopen changes firstSeenAt. */
async function stableFindings(): Promise<string[]> {
  return (await findings(collector.url))
    .filter((f) => f.kind !== "agent-missing")
    .map((f) => `${f.kind} ${f.reference} ${f.id} ${f.firstSeenAt}`)
    .sort();
}

async function lastReport(node: string): Promise<string> {
  return (await nodes(collector.url)).find((n) => n.name === node)?.lastReportAt ?? "";
}

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1", "n2", "n3"] });
  await seedIncidents(lab);
  // Inside the lab dir: the lab removes it.
  const dir = await mkdtemp(join(lab.dir, "collector-"));
  collector = await startCollector({ dir, resolveInterval: "2s" });
  for (const node of lab.nodes) {
    const agent = await startAgent({
      dir,
      node: node.name,
      endpoint: node.endpoint,
      collector: collector.grpcAddress,
      interval: `${INTERVAL_MS}ms`,
    });
    agents.set(node.name, agent);
  }
  // Settled: every node reports, and the findings stop changing (tags resolved).
  await waitFor(async () => (await nodes(collector.url)).filter((n) => n.state === "reporting").length === 3, {
    what: "3 nodes reporting",
    timeoutMs: 30_000,
  });
  let previous = "";
  await waitFor(
    async () => {
      const now = (await stableFindings()).join("\n");
      const stable = now === previous && now.includes("running-stale");
      previous = now;
      return stable;
    },
    { what: "findings to settle", timeoutMs: 30_000, intervalMs: 2_000 },
  );
});

afterAll(async () => {
  await Promise.allSettled([...agents.values()].map((a) => a.stop()));
  await collector?.stop();
  await lab?.stop();
});

describe("containerd stopped and restarted under a running agent", () => {
  it("keeps n1's last inventory and every finding while the runtime is down, then n1 reports again", async () => {
    const node = lab.node("n1");
    const agentUrl = agents.get("n1")?.url ?? "";
    const imagesBefore = imageSet(await images(collector.url, "n1"));
    const findingsBefore = await stableFindings();
    expect(imagesBefore.length).toBeGreaterThan(0);
    expect(findingsBefore.some((f) => f.startsWith("running-stale "))).toBe(true);

    const stopped = performance.now();
    await node.stop();
    // Down long enough for the agent to fail scans (it turns unready) and for the collector to see silence.
    const seen = {
      images: new Set<string>(),
      findings: new Set<string>(),
      missing: new Set<string>(),
      states: new Set<string>(),
      unready: false,
    };
    const watch = async () => {
      seen.images.add(imageSet(await images(collector.url, "n1")).join("\n"));
      seen.findings.add((await stableFindings()).join("\n"));
      for (const f of await findings(collector.url)) if (f.kind === "agent-missing") seen.missing.add(f.reference);
      seen.states.add((await nodes(collector.url)).find((n) => n.name === "n1")?.state ?? "absent");
      seen.unready ||= (await fetch(`${agentUrl}/readyz`)).status === 503;
    };
    while (since(stopped) < 5 * INTERVAL_MS) {
      await watch();
      await delay(200);
    }
    expect(seen.unready, "the agent saw the runtime down").toBe(true);

    const reportBefore = await lastReport("n1");
    const restarted = performance.now();
    await node.start();
    await waitFor(
      async () => {
        await watch();
        const list = await nodes(collector.url);
        const n1 = list.find((n) => n.name === "n1");
        return n1?.state === "reporting" && n1.lastReportAt > reportBefore;
      },
      { what: "n1 reporting again", timeoutMs: 30_000, intervalMs: 100 },
    );
    const recovered = since(restarted);
    await waitFor(async () => (await fetch(`${agentUrl}/readyz`)).ok, { what: "n1's agent ready", timeoutMs: 15_000 });
    await watch();

    expect([...seen.images]).toEqual([imagesBefore.join("\n")]);
    expect([...seen.findings]).toEqual([findingsBefore.join("\n")]);
    expect([...seen.missing]).toEqual(["n1"]);
    expect(imageSet(await images(collector.url, "n1"))).toEqual(imagesBefore);
    await waitFor(async () => !(await findings(collector.url)).some((f) => f.kind === "agent-missing"), {
      what: "no agent-missing finding",
      timeoutMs: 10_000,
    });
    reportRecovery(
      "containerd stopped for 5 s",
      recovered,
      `n1 reporting again after containerd restarted; states seen meanwhile: ${[...seen.states].join(", ")}; ` +
        `${since(stopped).toFixed(0)} ms from stop to settled`,
    );
  });
});
