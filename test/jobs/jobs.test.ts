/**
 * Jobs on 3 real containerd nodes (docs/ARCHITECTURE.md#jobs): prepull then verify, refresh of
 * the seeds' stale nodes, prune dry-run and unused, waves, cancel, a partial
 * job, and a collector restarted mid-job.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import type { Job } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findings, tag } from "../collector/api.js";
import { type Lab, startLab } from "../lab/index.js";
import { sendSignal } from "../lab/process.js";
import { waitFor } from "../lab/wait.js";
import { type Incidents, seedIncidents } from "../scenario/incidents.js";
import { type Agent, CLI_BIN, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { cancelJob, createJob, finishedJob, getJob } from "./jobs-api.js";

const TOKEN = "jobs-token-51c2";
let lab: Lab;
let dir: string;
let incidents: Incidents;
let collector: Collector;
const agents = new Map<string, Agent>();

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI_BIN, "--server", collector.url, "--token", TOKEN, ...args], {
    encoding: "utf8",
    timeout: 90_000,
  });

async function startAgentFor(node: string): Promise<void> {
  const endpoint = lab.node(node).endpoint;
  agents.set(
    node,
    await startAgent({ dir, node, endpoint, collector: collector.grpcAddress, tokenFile: collector.tokenFile }),
  );
}

async function imageIds(node: string): Promise<string[]> {
  const cri = CriClient.connect({ endpoint: lab.node(node).endpoint });
  try {
    return (await cri.listImages()).map((i) => i.id).sort();
  } finally {
    cri.close();
  }
}

async function waitForNodes(count: number): Promise<void> {
  await waitFor(
    async () => {
      const items = (
        (await (await fetch(`${collector.url}/api/v1/nodes`)).json()) as {
          items: { state: string; imageCount: number }[];
        }
      ).items;
      return items.filter((n) => n.state === "reporting" && n.imageCount > 0).length === count;
    },
    { what: `${count} nodes reporting`, timeoutMs: 30_000 },
  );
}

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1", "n2", "n3"] });
  dir = await mkdtemp("/tmp/idl-jobs-");
  incidents = await seedIncidents(lab);
  collector = await startCollector({ dir, token: TOKEN, resolveInterval: "2s" });
  for (const node of ["n1", "n2", "n3"]) await startAgentFor(node);
  await waitForNodes(3);
});

afterAll(async () => {
  await Promise.allSettled([...agents.values()].map((a) => a.stop()));
  await collector?.stop();
  await lab?.stop();
});

describe("prepull", () => {
  it("pulls onto 3 nodes with progress, exits 0, and verify passes afterwards", async () => {
    const ref = lab.ref("shop/new:1.0");
    await lab.buildAndPush(ref, { salt: "new 1.0" });
    const prepull = cli("prepull", ref, "--nodes", "n1,n2,n3");
    expect(prepull.status, prepull.stdout + prepull.stderr).toBe(0);
    expect(prepull.stderr).toMatch(/n1 succeeded/);
    expect(prepull.stdout).toMatch(/succeeded/);
    await waitFor(async () => (await tag(collector.url, ref))?.status === "current", {
      what: "new:1.0 current",
      timeoutMs: 30_000,
    });
    const verify = cli("verify", ref);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });

  it("runs one node at a time with concurrency 1", async () => {
    const ref = lab.ref("shop/waves:1");
    await lab.buildAndPush(ref, { salt: "waves 1" });
    const job = await finishedJob(
      collector.url,
      (await createJob(collector.url, TOKEN, { type: "prepull", images: [ref], concurrency: 1 })).id,
    );
    expect(job.state).toBe("succeeded");
    const spans = job.nodes
      .map((n) => [Date.parse(n.startedAt ?? ""), Date.parse(n.finishedAt ?? "")] as const)
      .sort((a, b) => a[0] - b[0]);
    expect(spans).toHaveLength(3);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] ?? Number.NaN);
  });
});

describe("refresh", () => {
  it("pulls again exactly where the digest differs, keeps the old image a container uses, and the finding clears", async () => {
    const before = await tag(collector.url, incidents.web.ref);
    expect(before?.nodes.filter((n) => n.status === "stale").map((n) => n.node)).toEqual(["n1"]);
    const oldImage = before?.nodes.find((n) => n.node === "n1")?.imageId ?? "";
    const job = await finishedJob(
      collector.url,
      (await createJob(collector.url, TOKEN, { type: "refresh", images: [incidents.web.ref], removeReplaced: true }))
        .id,
    );
    expect(job.state).toBe("succeeded");
    expect(job.nodes.find((n) => n.node === "n1")?.state).toBe("succeeded");
    expect(
      job.nodes
        .filter((n) => n.state === "skipped")
        .map((n) => n.node)
        .sort(),
    ).toEqual(["n2", "n3"]);
    // web-1 still runs the old image on n1: it stays.
    expect(await imageIds("n1")).toContain(oldImage);
    await waitFor(async () => (await tag(collector.url, incidents.web.ref))?.status === "current", {
      what: "web:latest current everywhere",
      timeoutMs: 30_000,
    });
    await waitFor(async () => !(await findings(collector.url)).some((f) => f.kind === "inconsistent-tag"), {
      what: "inconsistent-tag to clear",
      timeoutMs: 30_000,
    });
  });
});

describe("prune", () => {
  it("--dry-run changes nothing and says what would go", async () => {
    const before = await Promise.all(["n1", "n2", "n3"].map(imageIds));
    const job = await finishedJob(
      collector.url,
      (await createJob(collector.url, TOKEN, { type: "prune", policy: { mode: "unused" }, dryRun: true })).id,
    );
    expect(job.state).toBe("succeeded");
    expect(await Promise.all(["n1", "n2", "n3"].map(imageIds))).toEqual(before);
    expect(job.nodes.some((n) => (n.removed ?? []).length > 0)).toBe(true);
  });

  it("--policy unused removes exactly the unused images, never one a container or sandbox uses", async () => {
    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    const [images, containers] = await Promise.all([cri.listImages(), cri.listContainers()]);
    cri.close();
    const used = new Set(containers.map((c) => c.imageRef));
    const pause = images.find((i) => i.repoTags.includes(lab.sandboxImage))?.id;
    const unused = images
      .filter((i) => !used.has(i.id) && i.id !== pause)
      .map((i) => i.id)
      .sort();
    expect(unused.length).toBeGreaterThan(0);
    const job = await finishedJob(
      collector.url,
      (await createJob(collector.url, TOKEN, { type: "prune", policy: { mode: "unused" }, nodes: ["n1"] })).id,
    );
    expect(job.state).toBe("succeeded");
    const n1 = job.nodes[0];
    // Images the earlier prepulls just brought are protected ("what someone has just pre-pulled").
    const wanted = (n1?.skipped ?? []).filter((k) => k.reason.startsWith("wanted by a prepull")).map((k) => k.id);
    expect(wanted.length).toBeGreaterThan(0);
    // Possible only copies stay: shop/legacy:1.0 is gone from the registry (404), shop/api:stable moved on.
    const onlyCopies = (n1?.skipped ?? []).filter((k) => /only copy/.test(k.reason));
    const legacy = images.find((i) => i.repoTags.includes(incidents.legacy.ref))?.id;
    expect(onlyCopies.find((k) => k.id === legacy)?.reason).toMatch(/^only copy: no registry has this image/);
    const removed = (n1?.removed ?? []).map((r) => r.id).sort();
    expect(removed).toEqual(unused.filter((id) => !wanted.includes(id) && !onlyCopies.some((k) => k.id === id)));
    expect(removed.length).toBeGreaterThan(0);
    expect(n1?.reclaimedBytes).toBeGreaterThan(0);
    const after = await imageIds("n1");
    for (const id of used) expect(after).toContain(id);
    expect(after).toContain(pause);
    expect(after.filter((id) => removed.includes(id))).toEqual([]);
  });
});

describe("failures", () => {
  it("an unreachable node makes the job partial: that node failed, the others done", async () => {
    await agents.get("n3")?.stop();
    const ref = lab.ref("shop/partial:1");
    await lab.buildAndPush(ref, { salt: "partial 1" });
    const job = await finishedJob(
      collector.url,
      (await createJob(collector.url, TOKEN, { type: "prepull", images: [ref], nodes: ["n1", "n2", "n3"], retries: 0 }))
        .id,
    );
    expect(job.state).toBe("partial");
    expect(Object.fromEntries(job.nodes.map((n) => [n.node, n.state]))).toEqual({
      n1: "succeeded",
      n2: "succeeded",
      n3: "failed",
    });
    expect(job.nodes.find((n) => n.node === "n3")?.message).toMatch(/n3|agent|connect/i);
  });

  it("a job cancelled mid-way stops", async () => {
    const ref = lab.ref("shop/cancel:1");
    await lab.buildAndPush(ref, { salt: "cancel 1" });
    // n3's agent is down: its node waits between retries, so the job is still running.
    const created = await createJob(collector.url, TOKEN, {
      type: "prepull",
      images: [ref],
      nodes: ["n1", "n2", "n3"],
      retries: 5,
    });
    await waitFor(async () => (await getJob(collector.url, created.id)).nodes.some((n) => n.state === "succeeded"), {
      what: "the job under way",
    });
    const response = await cancelJob(collector.url, TOKEN, created.id);
    expect(response.status).toBe(200);
    const job = await finishedJob(collector.url, created.id);
    expect(job.state).toBe("cancelled");
    expect(job.nodes.find((n) => n.node === "n3")?.state).toBe("cancelled");
  });

  it("a collector killed mid-job finishes the job after a restart on the same database", async () => {
    const ref = lab.ref("shop/restart:1");
    await lab.buildAndPush(ref, { salt: "restart 1" });
    const created = await createJob(collector.url, TOKEN, {
      type: "prepull",
      images: [ref],
      nodes: ["n1", "n2", "n3"],
      retries: 10,
    });
    await waitFor(
      async () => (await getJob(collector.url, created.id)).nodes.filter((n) => n.state === "succeeded").length === 2,
      {
        what: "n1 and n2 done, n3 waiting",
        timeoutMs: 30_000,
      },
    );
    const ports = {
      httpPort: Number(new URL(collector.url).port),
      grpcPort: Number(collector.grpcAddress.split(":")[1]),
    };
    sendSignal(collector.daemon.pid, "SIGKILL");
    await waitFor(() => collector.daemon.exit !== undefined, { what: "the collector to die" });
    collector = await startCollector({ dir, token: TOKEN, resolveInterval: "2s", db: collector.db, ...ports });
    await startAgentFor("n3");
    const job: Job = await finishedJob(collector.url, created.id, 90_000);
    expect(job.state).toBe("succeeded");
    expect(job.nodes.map((n) => n.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    const cri = CriClient.connect({ endpoint: lab.node("n3").endpoint });
    expect(await cri.imageStatus(ref)).not.toBeNull();
    cri.close();
  });
});
