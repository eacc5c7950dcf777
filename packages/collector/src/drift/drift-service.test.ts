/**
 * The incremental recompute gives exactly what the core engine computes from
 * scratch: seeded random histories of inventories (tags moving, containers
 * coming and going, local-only images), registry answers, agents going silent
 * and nodes removed, compared after every step with computeFindings on the
 * same facts, and after reopening the database.
 */
import {
  computeFindings,
  computeTagViews,
  type FindingDraft,
  type ImageContainer,
  type NodeImage,
  type NodeInventory,
  silentLogger,
  type TagResolution,
} from "@imagedrift/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CollectorMetrics } from "../metrics.js";
import { FindingStore, NodeStore, openDatabase, TagStore } from "../store/index.js";
import { DriftService } from "./drift-service.js";

const INTERVAL_MS = 60_000;
const HOST = "registry.example.com";
const REPOS = ["team/api", "team/web", "ops/agent"];
const TAGS = ["1.0", "latest"];

/** A small deterministic generator (mulberry32). */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const digest = (text: string) => `sha256:${Buffer.from(text).toString("hex").padEnd(64, "0").slice(0, 64)}`;

function randomInventory(node: string, pick: (n: number) => number, at: Date): NodeInventory {
  const images: NodeImage[] = [];
  const pods: NodeInventory["pods"] = [];
  for (const repo of REPOS) {
    for (const tag of TAGS) {
      if (pick(4) === 0) continue;
      const version = pick(3);
      const local = pick(12) === 0;
      const id = digest(`${repo}:${tag}:${version}:${local}`);
      if (images.some((i) => i.id === id)) continue;
      const containers: ImageContainer[] = [];
      if (pick(2) === 0) {
        const pod = `${repo.split("/")[1]}-${pick(5)}`;
        containers.push({
          id: `${node}-${pod}-${id.slice(7, 15)}`,
          pod,
          namespace: "shop",
          container: "main",
          state: pick(5) === 0 ? "exited" : "running",
          podUid: `${node}-${pod}`,
          image: pick(2) === 0 ? id : `${HOST}/${repo}:${tag}`,
        });
        pods.push({
          id: `sandbox-${containers[0]?.id}`,
          name: pod,
          namespace: "shop",
          uid: `${node}-${pod}`,
          state: "ready",
        });
      }
      images.push({
        id,
        repoTags: [`${HOST}/${repo}:${tag}`],
        repoDigests: local ? [] : [`${HOST}/${repo}@${digest(`index ${repo}:${tag}:${version}`)}`],
        size: 1000 + version,
        pinned: false,
        sandbox: false,
        inUse: containers.length > 0,
        containers,
      });
    }
  }
  return {
    node,
    runtime: { name: "containerd", version: "1.7.0", apiVersion: "v1" },
    scannedAt: at.toISOString(),
    images,
    pods,
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: 1, inodesUsed: null },
  };
}

function randomResolution(ref: string, pick: (n: number) => number, at: Date): TagResolution {
  const [repo = "", tag = ""] = ref.slice(HOST.length + 1).split(":");
  switch (pick(6)) {
    case 0:
      return { state: "not-found", resolvedAt: at.toISOString() };
    case 1:
      return { state: "error", error: "timeout", resolvedAt: at.toISOString() };
    default:
      return { state: "found", digest: digest(`index ${repo}:${tag}:${pick(3)}`), resolvedAt: at.toISOString() };
  }
}

const withoutTimes = (findings: readonly (FindingDraft & { firstSeenAt?: string; lastSeenAt?: string })[]) =>
  findings
    .map(({ firstSeenAt: _f, lastSeenAt: _l, ...draft }) => draft)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

function service(db: ReturnType<typeof openDatabase>, clock: { now: Date }, answers: Map<string, TagResolution>) {
  const nodes = new NodeStore(db);
  const tags = new TagStore(db);
  const metrics = new CollectorMetrics({ processMetrics: false });
  const drift = new DriftService({
    nodes,
    tags,
    findings: new FindingStore(db),
    resolver: {
      resolve: async (asked) =>
        new Map(
          asked.flatMap((t) => {
            const answer = answers.get(t);
            return answer === undefined ? [] : [[t, answer] as const];
          }),
        ),
    },
    metrics,
    log: silentLogger,
    resolveIntervalMs: INTERVAL_MS,
    now: () => clock.now,
  });
  return { drift, nodes, tags, metrics };
}

describe("DriftService's incremental recompute", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`matches computeFindings from scratch after every step (seed ${seed})`, async () => {
      const pick = random(seed);
      const db = openDatabase(":memory:");
      const clock = { now: new Date("2026-11-01T00:00:00Z") };
      const answers = new Map<string, TagResolution>();
      let { drift, nodes, tags } = service(db, clock, answers);
      const names = ["n1", "n2", "n3", "n4", "n5"];
      const lastReport = new Map<string, number>();

      const expectSameAsScratch = () => {
        drift.recompute();
        const snapshot = {
          now: clock.now,
          nodes: nodes.states(),
          inventories: nodes.inventories(),
          resolutions: tags.all(),
        };
        expect(withoutTimes(drift.findings())).toEqual(withoutTimes(computeFindings(snapshot)));
        const views = computeTagViews(snapshot);
        expect(drift.tagViews).toEqual(views);
        for (const view of views) {
          const distinct = new Set(view.nodes.map((h) => h.digest ?? h.imageId)).size;
          const staleNodes = view.nodes.filter((h) => h.status === "stale").length;
          expect(drift.tagSummary(view.reference)).toEqual({ status: view.status, distinct, staleNodes });
        }
      };

      for (let step = 0; step < 60; step++) {
        clock.now = new Date(clock.now.getTime() + 20_000);
        const node = names[pick(names.length)] ?? "n1";
        switch (pick(7)) {
          case 0:
          case 1:
          case 2: {
            drift.hello(node, { agentVersion: "0.1.0", intervalMs: INTERVAL_MS, inventoryHash: "", labels: {} });
            drift.inventory(randomInventory(node, pick, clock.now), `h-${step}`);
            lastReport.set(node, clock.now.getTime());
            break;
          }
          case 3: {
            for (const ref of drift.tags) answers.set(ref, randomResolution(ref, pick, clock.now));
            await drift.resolveNow();
            break;
          }
          case 4:
            if (nodes.get(node) !== undefined) drift.heartbeat(node, "whatever");
            break;
          case 5:
            // Time passes without reports: agents go missing (3 intervals).
            clock.now = new Date(clock.now.getTime() + pick(2) * 3 * INTERVAL_MS);
            break;
          default:
            drift.removeNode(node, "test");
        }
        expectSameAsScratch();
      }

      // Reopened on the same database, it picks up where it left off.
      await drift.stop();
      ({ drift, nodes, tags } = service(db, clock, answers));
      expectSameAsScratch();
      await drift.stop();
    });
  }
});

describe("DriftService: when a recompute runs", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("after a lull; inventories that never pause are recomputed every 5 s, and once more when they stop", async () => {
    // Fake time, performance.now included: each recompute takes 0 ms, so the lull is 10 ms and the lag 5 s.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance"] });
    const pick = random(7);
    const clock = { now: new Date("2026-11-01T00:00:00Z") };
    const { drift, metrics } = service(openDatabase(":memory:"), clock, new Map());
    const recomputes = async () =>
      (await metrics.recomputeSeconds.get()).values.find((v) => v.metricName?.endsWith("_count"))?.value ?? 0;
    expect(await recomputes()).toBe(1); // the first, in the constructor
    const report = (i: number) => {
      const node = `node-${i % 20}`;
      drift.hello(node, { agentVersion: "t", intervalMs: INTERVAL_MS, inventoryHash: "", labels: {} });
      drift.inventory(randomInventory(node, pick, clock.now), digest(`inventory ${i}`));
    };
    // One inventory, then quiet: recomputed 10 ms later.
    report(0);
    await vi.advanceTimersByTimeAsync(9);
    expect(await recomputes()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await recomputes()).toBe(2);
    // A herd: an inventory every 5 ms for 12 s. No lull: recomputed at 5 s and 10 s, not before.
    const counts: number[] = [];
    for (let i = 1; i <= 2400; i++) {
      report(i);
      await vi.advanceTimersByTimeAsync(5);
      if (i % 200 === 0) counts.push(await recomputes());
    }
    expect(counts).toEqual([2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4]);
    // Once it stops, the last of it is recomputed after the lull.
    await vi.advanceTimersByTimeAsync(10);
    expect(await recomputes()).toBe(5);
  });
});
