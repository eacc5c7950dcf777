/**
 * The built agent as a daemon against a real containerd node: its metrics and
 * probes, readiness that follows the runtime when containerd is stopped and
 * started again (the CRI channel must reconnect by itself), and a clean exit
 * on SIGTERM.
 */
import { statSync } from "node:fs";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContainerdNode, isAlive, type Lab, startLab, waitFor } from "../lab/index.js";
import { type AgentDaemon, sample, startAgentDaemon } from "./agent-process.js";

const INTERVAL_MS = 1_000;
const SCAN_METHODS = ["Version", "Status", "ListImages", "ListContainers", "ListPodSandbox", "ImageFsInfo"];

/** Every `imagedrift_agent_cri_errors_total` sample: `method/code` → count. */
function criErrors(metrics: string): Map<string, number> {
  const errors = new Map<string, number>();
  for (const match of metrics.matchAll(/^imagedrift_agent_cri_errors_total\{method="(\w+)",code="(\w+)"\} (\S+)$/gm)) {
    errors.set(`${match[1]}/${match[2]}`, Number(match[3]));
  }
  return errors;
}

describe("imagedrift-agent daemon against real containerd", () => {
  let lab: Lab;
  let node: ContainerdNode;
  let agent: AgentDaemon;
  let imageCount = 0;
  let imageBytes = 0;

  beforeAll(async () => {
    lab = await startLab({ nodes: 1 });
    node = lab.node("n1");
    await lab.buildAndPush("demo/app:1.0", { runnable: true, salt: "daemon" });
    const cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
    try {
      await cri.pullImage(lab.ref("demo/app:1.0"));
      const images = await cri.listImages();
      imageCount = images.length;
      imageBytes = images.reduce((sum, image) => sum + Number(image.size), 0);
    } finally {
      cri.close();
    }
    agent = await startAgentDaemon({ endpoint: node.endpoint, nodeName: "n1", interval: "1s", dir: lab.dir });
  });

  afterAll(async () => {
    await agent?.stop();
    await lab?.stop();
  });

  it("serves the node's figures on /metrics once the first scan is done", async () => {
    const metrics = await agent.metrics();
    expect(imageCount).toBeGreaterThan(0);
    expect(sample(metrics, "imagedrift_agent_images")).toBe(imageCount);
    expect(sample(metrics, "imagedrift_agent_image_bytes")).toBe(imageBytes);
    const lastScan = sample(metrics, "imagedrift_agent_last_scan_timestamp_seconds") ?? 0;
    expect(Math.abs(Date.now() / 1000 - lastScan)).toBeLessThan(30);
    for (const method of SCAN_METHODS) {
      const series = `imagedrift_agent_cri_request_duration_seconds_count{method="${method}"}`;
      expect(sample(metrics, series), series).toBeGreaterThanOrEqual(1);
    }
    // Declared, with no samples until a call fails.
    expect(metrics).toContain("# TYPE imagedrift_agent_cri_errors_total counter");
    expect(criErrors(metrics).size).toBe(0);
    // containerd sums snapshot usage every stats_collect_period (10 s): a fresh node reports 0 until then.
    await waitFor(async () => (sample(await agent.metrics(), "imagedrift_agent_imagefs_used_bytes") ?? 0) > 0, {
      what: "imagedrift_agent_imagefs_used_bytes > 0",
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  });

  it("answers /healthz and /readyz with 200, any other path with 404 and a POST with 405", async () => {
    expect(await agent.request("/healthz")).toEqual({ status: 200, body: "ok\n" });
    expect(await agent.request("/readyz")).toEqual({
      status: 200,
      body: "ok; mode: events (rescans on runtime events; full rescan every 10m)\n",
    });
    expect((await agent.request("/metrics")).status).toBe(200);
    expect((await agent.request("/")).status).toBe(404);
    expect((await agent.request("/debug/pprof")).status).toBe(404);
    expect((await agent.request("/metricsx")).status).toBe(404);
    expect((await agent.request("/metrics", "POST")).status).toBe(405);
    expect((await agent.request("/readyz", "POST")).status).toBe(405);
  });

  it("turns unready while containerd is down, stays alive, counts UNAVAILABLE, and is ready again once it is back", async () => {
    const socketBefore = statSync(node.socket).ino;
    await node.stop();
    const stopped = performance.now();
    await waitFor(async () => (await agent.request("/readyz")).status === 503, {
      what: "/readyz to answer 503 after containerd stopped",
      timeoutMs: 5 * INTERVAL_MS,
      intervalMs: 100,
    });
    const unreadyAfter = performance.now() - stopped;

    expect(isAlive(agent.pid)).toBe(true);
    expect(agent.daemon.exit).toBeUndefined();
    expect((await agent.request("/healthz")).status).toBe(200);
    expect((await agent.request("/readyz")).body).toMatch(/^not ready: /);
    const down = await agent.metrics();
    const unavailable = [...criErrors(down)].filter(([key]) => key.endsWith("/UNAVAILABLE"));
    expect(unavailable.length).toBeGreaterThan(0);
    for (const [key] of unavailable) expect(SCAN_METHODS).toContain(key.split("/")[0]);

    // While the runtime is away no scan succeeds: the last-scan time stands still as failures add up.
    const lastScan = sample(down, "imagedrift_agent_last_scan_timestamp_seconds");
    const failedScans = sample(down, "imagedrift_agent_scan_errors_total") ?? 0;
    const later = await waitFor(
      async () => {
        const text = await agent.metrics();
        return (sample(text, "imagedrift_agent_scan_errors_total") ?? 0) >= failedScans + 2 && text;
      },
      { what: "two more failed scans", timeoutMs: 10 * INTERVAL_MS, intervalMs: 100 },
    );
    expect(sample(later, "imagedrift_agent_last_scan_timestamp_seconds")).toBe(lastScan);
    expect((await agent.request("/readyz")).status).toBe(503);

    await node.start();
    const restarted = performance.now();
    // A restart makes a new socket file: a container that bind-mounted the old file would never see it, which
    // is why the DaemonSet mounts the socket's directory. The agent dials the path again and finds the new one.
    expect(statSync(node.socket).ino).not.toBe(socketBefore);
    await waitFor(async () => (await agent.request("/readyz")).status === 200, {
      what: "/readyz to answer 200 after containerd restarted (the CRI channel must reconnect)",
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const readyAfter = performance.now() - restarted;
    const up = await agent.metrics();
    expect(sample(up, "imagedrift_agent_last_scan_timestamp_seconds")).toBeGreaterThan(lastScan ?? 0);
    expect(sample(up, "imagedrift_agent_images")).toBe(imageCount);
    console.log(
      `[daemon] /readyz 503 ${unreadyAfter.toFixed(0)} ms after containerd stopped; ` +
        `200 again ${readyAfter.toFixed(0)} ms after it restarted; errors while down: ` +
        [...criErrors(later)].map(([key, n]) => `${key}=${n}`).join(" "),
    );
  });

  it("stops on SIGTERM promptly with exit code 0", async () => {
    const started = performance.now();
    await agent.stop(10_000);
    const ms = performance.now() - started;
    console.log(`[daemon] exited (${agent.daemon.exit}) ${ms.toFixed(0)} ms after SIGTERM`);
    expect(agent.daemon.exit).toBe("exit 0");
    expect(ms).toBeLessThan(3_000);
    expect(isAlive(agent.pid)).toBe(false);
  });
});
