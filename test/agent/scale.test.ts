/**
 * A node holding 1,000 images is listed completely by the built agent, and
 * the daemon stays small while it rescans them. Prints the figures (inventory
 * wall time against the raw CRI ListImages call, daemon RSS) for quoting; only
 * completeness and a loose memory ceiling are asserted.
 */
import { join } from "node:path";
import { scanNode } from "@imagedrift/agent";
import type { NodeInventory } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContainerdNode, type Lab, startLab, waitFor } from "../lab/index.js";
import { type AgentDaemon, memoryOf, runAgent, sample, startAgentDaemon } from "./agent-process.js";
import { type ManyImages, writeManyImages } from "./many-images.js";

const COUNT = 1_000;
const MIB = 1024 * 1024;

/** Runs `fn` `times` times in a row; returns each wall time in ms. */
async function timed(times: number, fn: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await fn();
    ms.push(performance.now() - started);
  }
  return ms;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const fmt = (values: readonly number[]) =>
  `median ${median(values).toFixed(0)} ms (${values.map((v) => v.toFixed(0)).join(", ")})`;

describe(`a node holding ${COUNT} images`, () => {
  let lab: Lab;
  let node: ContainerdNode;
  let cri: CriClient;
  let images: ManyImages;
  let agent: AgentDaemon | undefined;

  beforeAll(async () => {
    lab = await startLab({ nodes: 1 });
    node = lab.node("n1");
    cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
    const started = performance.now();
    images = await writeManyImages(join(lab.dir, "many.tar"), COUNT, (i) => {
      const repo = `scale/app-${String(Math.floor(i / 10)).padStart(3, "0")}`;
      return `${lab.registry.host}/${repo}:v${i % 10}`;
    });
    const built = performance.now();
    await lab.ctr(node, "images", "import", images.file);
    const imported = performance.now();
    // The CRI plugin learns of imported images from containerd's events: poll until it lists them all.
    await waitFor(async () => (await cri.listImages()).length >= COUNT, {
      what: `CRI to list ${COUNT} images`,
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    console.log(
      `[scale] layout of ${COUNT} images built in ${(built - started).toFixed(0)} ms, ` +
        `ctr import ${(imported - built).toFixed(0)} ms, listed by CRI after ${(performance.now() - imported).toFixed(0)} ms more`,
    );
  }, 300_000);

  afterAll(async () => {
    await agent?.stop();
    cri?.close();
    await lab?.stop();
  });

  it("`imagedrift-agent inventory` lists every image and every tag", async () => {
    let inventory: NodeInventory | undefined;
    const cliMs = await timed(3, async () => {
      const run = await runAgent(["inventory", "--cri-endpoint", node.endpoint, "--node-name", "n1"]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      inventory = JSON.parse(run.stdout) as NodeInventory;
    });
    const startupMs = await timed(3, async () => expect((await runAgent(["--version"])).code).toBe(0));
    const listMs = await timed(5, () => cri.listImages());
    const scanMs = await timed(5, () => scanNode(cri, "n1"));

    const inv = inventory as NodeInventory;
    expect(inv.images.length).toBeGreaterThanOrEqual(COUNT);
    const tags = new Set(inv.images.flatMap((image) => image.repoTags));
    const missing = images.names.filter((name) => !tags.has(name));
    expect(missing).toEqual([]);
    // Distinct configs: a distinct image id per name, each listed once.
    const ours = inv.images.filter((image) => image.repoTags.some((tag) => tag.includes("/scale/app-")));
    expect(ours).toHaveLength(COUNT);
    expect(new Set(ours.map((image) => image.id)).size).toBe(COUNT);
    for (const image of ours) {
      expect(image.repoTags).toHaveLength(1);
      expect(image.repoDigests).toEqual([]);
      expect(image.size).toBeGreaterThan(0);
    }

    console.log(
      [
        `[scale] ${inv.images.length} images on the node`,
        `  imagedrift-agent inventory (process wall time): ${fmt(cliMs)}`,
        `  imagedrift-agent --version (node + module startup): ${fmt(startupMs)}`,
        `  raw CRI ListImages (warm client): ${fmt(listMs)}`,
        `  scanNode in-process (6 CRI calls + assembly): ${fmt(scanMs)}`,
      ].join("\n"),
    );
  });

  it("the daemon rescans them every 2s with a resident set under 200 MB", async () => {
    // Polling: what is measured is the memory of full rescans, which the event stream makes rare.
    agent = await startAgentDaemon({
      endpoint: node.endpoint,
      nodeName: "n1",
      interval: "2s",
      dir: lab.dir,
      extraArgs: ["--events", "off"],
    });
    const first = await agent.metrics();
    expect(sample(first, "imagedrift_agent_images")).toBeGreaterThanOrEqual(COUNT);
    const firstScan = sample(first, "imagedrift_agent_last_scan_timestamp_seconds") ?? 0;
    const atReady = memoryOf(agent.pid);
    // Let it rescan a few times, so the figure is the steady state and not the first scan.
    await waitFor(
      async () =>
        (sample(await (agent as AgentDaemon).metrics(), "imagedrift_agent_last_scan_timestamp_seconds") ?? 0) >=
        firstScan + 6,
      { what: "three more scans", timeoutMs: 30_000, intervalMs: 250 },
    );
    const steady = memoryOf(agent.pid);
    const metrics = await agent.metrics();
    console.log(
      `[scale] agent daemon (pid ${agent.pid}) RSS: ${(atReady.rss / MIB).toFixed(1)} MiB after the first scan, ` +
        `${(steady.rss / MIB).toFixed(1)} MiB after 3 more (peak VmHWM ${(steady.peak / MIB).toFixed(1)} MiB); ` +
        `ListImages histogram: count ${sample(metrics, 'imagedrift_agent_cri_request_duration_seconds_count{method="ListImages"}')}, ` +
        `sum ${sample(metrics, 'imagedrift_agent_cri_request_duration_seconds_sum{method="ListImages"}')?.toFixed(3)} s`,
    );
    expect(sample(metrics, "imagedrift_agent_images")).toBeGreaterThanOrEqual(COUNT);
    expect(steady.rss).toBeLessThan(200 * 1000 * 1000);
    expect(steady.peak).toBeLessThan(200 * 1000 * 1000);
  });
});
