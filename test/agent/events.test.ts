/**
 * The agent on containerd's event stream, on real containerd: with a poll
 * interval of an hour, a CRI pull, a ctr removal and a container started on
 * the node reach the collector within seconds; /readyz and the metrics say
 * which mode the agent is in; a containerd restart under the agent resumes
 * the events; with --events off the agent polls and says so.
 */
import { mkdtemp } from "node:fs/promises";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { sample } from "./agent-process.js";

let lab: Lab;
let collector: Collector;
let agent: Agent;
let polling: Agent;

interface Image {
  repoTags: string[];
}

const imagesOn = async (node: string): Promise<Image[]> =>
  ((await (await fetch(`${collector.url}/api/v1/nodes/${node}/images`)).json()) as { items: Image[] }).items;
const holds = async (node: string, ref: string) => (await imagesOn(node)).some((i) => i.repoTags.includes(ref));
const readyz = async (url: string) => (await fetch(`${url}/readyz`)).text();

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1", "n2"] });
  const dir = await mkdtemp("/tmp/idl-events-");
  collector = await startCollector({ dir, token: "events-token-4f0b" });
  const common = { dir, collector: collector.grpcAddress, tokenFile: collector.tokenFile, interval: "1h" };
  [agent, polling] = await Promise.all([
    startAgent({ ...common, node: "n1", endpoint: lab.node("n1").endpoint }),
    startAgent({ ...common, node: "n2", endpoint: lab.node("n2").endpoint, extraArgs: ["--events", "off"] }),
  ]);
  await waitFor(async () => (await readyz(agent.url)).includes("mode: events"), {
    what: "n1's agent on the event stream",
    timeoutMs: 20_000,
  });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([agent?.stop(), polling?.stop()]);
  await collector?.stop();
  await lab?.stop();
});

describe("on the event stream, with an hour between polls", () => {
  it("says so on /readyz and in its metrics", async () => {
    expect(await readyz(agent.url)).toMatch(/^ok; mode: events \(rescans on runtime events; full rescan every 10m\)/);
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(sample(metrics, 'imagedrift_agent_scan_mode{mode="events"}')).toBe(1);
    expect(sample(metrics, 'imagedrift_agent_scan_mode{mode="polling"}')).toBe(0);
  });

  it("a CRI pull and a ctr removal on the node reach the collector within seconds", async () => {
    const ref = lab.ref("events/pulled:1");
    await lab.buildAndPush(ref, { salt: "events pulled 1" });
    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    try {
      await cri.pullImage(ref);
    } finally {
      cri.close();
    }
    await waitFor(() => holds("n1", ref), { what: "the pull at the collector", timeoutMs: 10_000 });
    await lab.ctr("n1", "images", "rm", ref);
    await waitFor(async () => !(await holds("n1", ref)), { what: "the removal at the collector", timeoutMs: 10_000 });
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(sample(metrics, 'imagedrift_agent_runtime_events_total{topic="/images/create"}')).toBeGreaterThan(0);
  });

  it("resumes the events after containerd restarts under it", async () => {
    const node = lab.node("n1");
    await node.stop();
    await waitFor(async () => (await readyz(agent.url).catch(() => "")).includes("mode: polling"), {
      what: "the agent to fall back to polling",
      timeoutMs: 15_000,
    });
    await node.start();
    await waitFor(async () => (await readyz(agent.url)).includes("mode: events"), {
      what: "the agent back on the event stream",
      timeoutMs: 20_000,
    });
    const ref = lab.ref("events/after-restart:1");
    await lab.buildAndPush(ref, { salt: "events after restart" });
    await lab.ctr("n1", "images", "pull", "--plain-http", ref);
    await waitFor(() => holds("n1", ref), { what: "a pull after the restart at the collector", timeoutMs: 10_000 });
  });
});

it("with --events off the agent polls, and says so", async () => {
  expect(await readyz(polling.url)).toMatch(/^ok; mode: polling \(every 1h, --events off\)/);
});
