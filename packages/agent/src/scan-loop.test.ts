import { silentLogger } from "@imagedrift/core";
import type { CriClient } from "@imagedrift/cri";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AgentMetrics } from "./metrics.js";
import { ScanLoop } from "./scan-loop.js";

/** A runtime that is down: every call fails, as CRI calls do when the socket is gone. */
const downRuntime = new Proxy({ endpoint: "unix:///gone.sock" } as unknown as CriClient, {
  get: (target, key) =>
    key === "endpoint" ? (target as { endpoint: string }).endpoint : () => Promise.reject(new Error("connect ENOENT")),
});

describe("ScanLoop health", () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date("2026-11-01T00:00:00Z") }));
  afterEach(() => vi.useRealTimers());

  it("stays alive through a short outage and turns unhealthy after 5 intervals (at least a minute) of failures", async () => {
    const loop = new ScanLoop({
      cri: downRuntime,
      node: "n1",
      intervalMs: 10_000,
      metrics: new AgentMetrics({ processMetrics: false }),
      log: silentLogger,
    });
    await loop.scan();
    expect(loop.ready()).toMatch(/^not ready: .*ENOENT/);
    expect(loop.live()).toBeNull();
    vi.setSystemTime(Date.now() + 59_000);
    await loop.scan();
    expect(loop.live()).toBeNull();
    vi.setSystemTime(Date.now() + 2_000);
    await loop.scan();
    expect(loop.live()).toMatch(/^unhealthy: every scan for 61s failed/);
  });
});

describe("ScanLoop.rescan", () => {
  it("follows a scan under way with one more (shared by the calls made meanwhile), and scans at once when idle", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls = new Map<string, number>();
    const runtime = new Proxy({ endpoint: "unix:///slow.sock" } as unknown as CriClient, {
      get: (target, key) =>
        key === "endpoint"
          ? (target as { endpoint: string }).endpoint
          : () => {
              calls.set(String(key), (calls.get(String(key)) ?? 0) + 1);
              return gate.then(() => Promise.reject(new Error("connect ENOENT")));
            },
    });
    const loop = new ScanLoop({
      cri: runtime,
      node: "n1",
      intervalMs: 10_000,
      metrics: new AgentMetrics({ processMetrics: false }),
      log: silentLogger,
    });
    const scans = () => Math.max(0, ...calls.values());
    const first = loop.scan();
    expect(scans()).toBe(1);
    const again = [loop.rescan(), loop.rescan(), loop.rescan()];
    release();
    await first;
    await Promise.all(again);
    expect(scans()).toBe(2);
    await loop.rescan();
    expect(scans()).toBe(3);
  });
});
