/** Why each tag was last asked of its registry (`resolvedBy`), kept with the answer in memory and in SQLite. */
import { type NodeInventory, silentLogger, type TagResolution } from "@imagedrift/core";
import { describe, expect, it, vi } from "vitest";
import { CollectorMetrics } from "../metrics.js";
import { FindingStore, NodeStore, openDatabase, TagStore } from "../store/index.js";
import { DriftService } from "./drift-service.js";

const TAG = "registry.example.com/team/api:latest";
const d = (hex: string) => `sha256:${hex.repeat(64)}`;

function inventory(node: string): NodeInventory {
  return {
    node,
    runtime: { name: "containerd", version: "1.6.20", apiVersion: "v1" },
    scannedAt: "2026-01-01T00:00:00.000Z",
    images: [
      {
        id: d("1"),
        repoTags: [TAG],
        repoDigests: [`registry.example.com/team/api@${d("a")}`],
        size: 1,
        pinned: false,
        sandbox: false,
        inUse: false,
        containers: [],
      },
    ],
    pods: [],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: 1, inodesUsed: null },
  };
}

/** A resolver that asks the registry every time (a new time per answer), unless told to answer from its cache. */
function setup(db = openDatabase(":memory:")) {
  let requests = 0;
  const registry = { digest: d("a"), cached: false };
  const drift = new DriftService({
    nodes: new NodeStore(db),
    tags: new TagStore(db),
    findings: new FindingStore(db),
    resolver: {
      resolve: async (asked) => {
        if (!registry.cached) requests += 1;
        const resolvedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, requests)).toISOString();
        return new Map<string, TagResolution>(
          asked.map((tag) => [tag, { state: "found", digest: registry.digest, resolvedAt }]),
        );
      },
    },
    metrics: new CollectorMetrics({ processMetrics: false }),
    log: silentLogger,
    resolveIntervalMs: 60_000,
  });
  drift.hello("n1", { agentVersion: "0.1.0", intervalMs: 60_000, inventoryHash: "", labels: {} });
  return { drift, db, registry };
}

describe("resolvedBy", () => {
  it("says inventory, poll, event or job after what asked the registry; an answer from the cache keeps its cause", async () => {
    const { drift, db, registry } = setup();
    drift.inventory(inventory("n1"), "h1");
    await vi.waitUntil(() => drift.tagView(TAG)?.resolvedAt !== null);
    expect(drift.tagView(TAG)).toMatchObject({ registryDigest: d("a"), resolvedBy: "inventory" });
    await drift.resolveNow();
    expect(drift.tagView(TAG)).toMatchObject({ resolvedBy: "poll" });
    registry.digest = d("b");
    await drift.resolveChanged([TAG], new Map([[TAG, d("b")]]));
    expect(drift.tagView(TAG)).toMatchObject({ registryDigest: d("b"), resolvedBy: "event" });
    registry.cached = true;
    await drift.resolveNow();
    expect(drift.tagView(TAG)).toMatchObject({ resolvedBy: "event" });
    registry.cached = false;
    await drift.resolveTags([TAG]);
    expect(drift.tagView(TAG)).toMatchObject({ resolvedBy: "job" });
    // What the registry told a job right before it pulled (TagResolver.askNow).
    await drift.resolveNow();
    const jobAnswer = { state: "found", digest: d("c"), resolvedAt: "2026-01-01T01:00:00.000Z" } as const;
    drift.jobAsked(TAG, jobAnswer);
    expect(drift.tagView(TAG)).toMatchObject({ registryDigest: d("c"), resolvedBy: "job" });
    await drift.stop();
    // Stored with the answer: a restarted collector says the same.
    expect(new TagStore(db).all().get(TAG)).toMatchObject({ digest: d("c"), resolvedBy: "job" });
  });
});
