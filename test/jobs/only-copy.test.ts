/**
 * Prune and refresh's clean-up on the seeds' incidents, on 3 real containerd
 * nodes and the real registry: an image no registry can give back is never
 * removed unless the job allows it; a dry run names exactly what the real
 * run removes; a dry-run prepull protects nothing.
 */
import { mkdtemp } from "node:fs/promises";
import type { Job } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tag } from "../collector/api.js";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Incidents, seedIncidents } from "../scenario/incidents.js";
import { type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { createJob, finishedJob } from "./jobs-api.js";

const TOKEN = "only-copy-token-7d1e";
let lab: Lab;
let incidents: Incidents;
let collector: Collector;
const agents: Agent[] = [];

async function images(node: string): Promise<{ id: string; repoTags: string[] }[]> {
  const cri = CriClient.connect({ endpoint: lab.node(node).endpoint });
  try {
    return await cri.listImages();
  } finally {
    cri.close();
  }
}

const idOf = async (node: string, ref: string) => (await images(node)).find((i) => i.repoTags.includes(ref))?.id;
const run = async (request: Parameters<typeof createJob>[2]): Promise<Job> =>
  finishedJob(collector.url, (await createJob(collector.url, TOKEN, request)).id, 90_000);
const removedOn = (job: Job, node: string) => (job.nodes.find((n) => n.node === node)?.removed ?? []).map((r) => r.id);
const keptOn = (job: Job, node: string, id: string | undefined) =>
  job.nodes.find((n) => n.node === node)?.skipped?.find((k) => k.id === id)?.reason;

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1", "n2", "n3"] });
  const dir = await mkdtemp("/tmp/idl-only-copy-");
  incidents = await seedIncidents(lab);
  collector = await startCollector({ dir, token: TOKEN, resolveInterval: "2s" });
  for (const node of ["n1", "n2", "n3"]) {
    const endpoint = lab.node(node).endpoint;
    agents.push(
      await startAgent({ dir, node, endpoint, collector: collector.grpcAddress, tokenFile: collector.tokenFile }),
    );
  }
  // Every seeded tag resolved: legacy missing, tools local-only, api stale.
  await waitFor(async () => (await tag(collector.url, incidents.legacy.ref))?.status === "missing-in-registry", {
    what: "legacy:1.0 missing in the registry",
    timeoutMs: 30_000,
  });
  await waitFor(async () => (await tag(collector.url, incidents.api.ref))?.status === "stale", {
    what: "api:stable stale",
    timeoutMs: 30_000,
  });
  await waitFor(async () => (await tag(collector.url, incidents.tools.ref))?.nodes.length === 1, {
    what: "tools:dev reported by n3",
    timeoutMs: 30_000,
  });
}, 240_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await collector?.stop();
  await lab?.stop();
});

describe("images no registry can give back", () => {
  it("a prune never removes the never-pushed tools:dev, and keeps it with the reason", async () => {
    const tools = await idOf("n3", incidents.tools.ref);
    const include = [`${lab.registry.host}/shop/tools:*`];
    const job = await run({ type: "prune", policy: { mode: "unused", include }, nodes: ["n3"] });
    expect(job.state).toBe("succeeded");
    expect(removedOn(job, "n3")).toEqual([]);
    expect(keptOn(job, "n3", tools)).toBe("only copy: no registry has this image (never pushed: no repo digest)");
    expect((await images("n3")).map((i) => i.id)).toContain(tools);
  });

  it("a cluster-wide dry run keeps legacy:1.0 (404 in the registry) on n1 and n2, naming why", async () => {
    const job = await run({ type: "prune", policy: { mode: "unused" }, dryRun: true });
    for (const node of ["n1", "n2"]) {
      const legacy = await idOf(node, incidents.legacy.ref);
      expect(removedOn(job, node)).not.toContain(legacy);
      expect(keptOn(job, node, legacy)).toMatch(/^only copy: no registry has this image \(its registry answers 404/);
    }
    // Images the registry serves now are still pruned: the rule holds back only possible only copies.
    const runtime = await idOf("n3", incidents.runtime.ref);
    expect(removedOn(job, "n3")).toContain(runtime);
  });

  it("allowUnrecoverable removes the only copy, as asked", async () => {
    const tools = await idOf("n3", incidents.tools.ref);
    const include = [`${lab.registry.host}/shop/tools:*`];
    const job = await run({
      type: "prune",
      policy: { mode: "unused", include },
      nodes: ["n3"],
      allowUnrecoverable: true,
    });
    expect(removedOn(job, "n3")).toEqual([tools]);
    expect((await images("n3")).map((i) => i.id)).not.toContain(tools);
  });
});

describe("refresh --remove-replaced", () => {
  it("removes a replaced image the registry still has by digest; the dry run names exactly what the real run removes", async () => {
    const before = { n1: await idOf("n1", incidents.api.ref), n3: await idOf("n3", incidents.api.ref) };
    const request = { type: "refresh" as const, images: [incidents.api.ref], removeReplaced: true };

    const dry = await run({ ...request, dryRun: true });
    expect(dry.state).toBe("succeeded");
    const planned = { n1: removedOn(dry, "n1"), n3: removedOn(dry, "n3") };
    expect(planned).toEqual({ n1: [before.n1], n3: [before.n3] });

    const real = await run(request);
    expect(real.state).toBe("succeeded");
    expect({ n1: removedOn(real, "n1"), n3: removedOn(real, "n3") }).toEqual(planned);
    for (const node of ["n1", "n3"] as const) expect((await images(node)).map((i) => i.id)).not.toContain(before[node]);
  });

  it("keeps a replaced image whose digest the registry deleted, unless allowUnrecoverable", async () => {
    const ref = lab.ref("shop/rewritten:1");
    const oldDigest = await lab.buildAndPush(ref, { salt: "rewritten v1" });
    const cri = CriClient.connect({ endpoint: lab.node("n2").endpoint });
    try {
      await cri.pullImage(ref);
    } finally {
      cri.close();
    }
    const old = await idOf("n2", ref);
    // The old manifest is deleted, then the tag pushed anew: only n2 still has the old image.
    await lab.deleteTag(ref);
    await lab.buildAndPush(ref, { salt: "rewritten v2" });
    await waitFor(async () => (await tag(collector.url, ref))?.nodes.some((n) => n.status === "stale"), {
      what: "rewritten:1 stale on n2",
      timeoutMs: 30_000,
    });
    const request = { type: "refresh" as const, images: [ref], removeReplaced: true, nodes: ["n2"] };
    const kept = await run(request);
    expect(kept.state).toBe("succeeded");
    expect(removedOn(kept, "n2")).toEqual([]);
    expect(keptOn(kept, "n2", old)).toBe(
      `only copy: no registry has this image (its registry answers 404 for ${lab.registry.host}/shop/rewritten@${oldDigest})`,
    );
    expect((await images("n2")).map((i) => i.id)).toContain(old);
  });
});

describe("prepull protection", () => {
  it("a dry-run prepull protects nothing from prune", async () => {
    const ref = lab.ref("shop/dry-protect:1");
    await lab.buildAndPush(ref, { salt: "dry protect 1" });
    const cri = CriClient.connect({ endpoint: lab.node("n2").endpoint });
    try {
      await cri.pullImage(ref);
    } finally {
      cri.close();
    }
    await waitFor(
      async () => (await tag(collector.url, ref))?.nodes.some((n) => n.node === "n2" && n.status === "current"),
      {
        what: "dry-protect:1 current on n2",
        timeoutMs: 30_000,
      },
    );
    const prepull = await run({ type: "prepull", images: [ref], nodes: ["n2"], dryRun: true });
    expect(prepull.state).toBe("succeeded");
    const id = await idOf("n2", ref);
    const prune = await run({
      type: "prune",
      policy: { mode: "unused", include: [`${lab.registry.host}/shop/dry-protect:*`] },
      nodes: ["n2"],
      dryRun: true,
    });
    expect(keptOn(prune, "n2", id)).toBeUndefined();
    expect(removedOn(prune, "n2")).toEqual([id]);
  });
});
