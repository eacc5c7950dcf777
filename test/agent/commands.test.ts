/**
 * The agent's commands against a real containerd node and a real registry:
 * the one-shot `pull` and `prune` of the built binary, and `pull`, `remove`,
 * cancel and timeout sent to the built daemon over its collector stream.
 * Expected sets are computed from CRI and the pods the test made, never from
 * the agent's own inventory.
 */
import { randomBytes } from "node:crypto";
import type { CommandResult, PulledImage } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContainerdNode, type Lab, removePod, runPod, startLab, waitFor } from "../lab/index.js";
import { runAgent, sample } from "./agent-process.js";
import { type CollectorStub, type CommandedAgent, startCollectorStub, startCommandedAgent } from "./collector-stub.js";

interface Summary extends CommandResult {
  node: string;
  state: string;
  message: string;
}

const short = (digest: string) => digest.slice(0, "sha256:".length + 12);
const WRONG = `sha256:${"0".repeat(64)}`;

describe("agent commands against real containerd", () => {
  let lab: Lab;
  let node: ContainerdNode;
  let cri: CriClient;
  let stub: CollectorStub;
  let agent: CommandedAgent;

  const oneShot = (...args: string[]) => runAgent([...args, "--cri-endpoint", node.endpoint, "--node-name", "n1"]);
  const summary = (stdout: string) => JSON.parse(stdout) as Summary;
  const ids = async () => (await cri.listImages()).map((i) => i.id).sort();
  const sizeOf = async (id: string) => Number((await cri.listImages()).find((i) => i.id === id)?.size ?? Number.NaN);

  beforeAll(async () => {
    lab = await startLab({ nodes: 1 });
    node = lab.node("n1");
    cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
    stub = await startCollectorStub();
    agent = await startCommandedAgent({
      endpoint: node.endpoint,
      nodeName: "n1",
      dir: lab.dir,
      collector: stub.address,
    });
    await stub.connected();
  });

  afterAll(async () => {
    await agent?.stop();
    await stub?.stop();
    cri?.close();
    await lab?.stop();
  });

  describe("pull", () => {
    it("pulls and verifies the expected digest", async () => {
      const ref = lab.ref("cmd/app:1");
      const digest = await lab.buildAndPush("cmd/app:1", { salt: "cmd-app" });
      const run = await oneShot("pull", ref, "--expect-digest", digest);
      expect(run.code, run.stderr).toBe(0);
      const held = await cri.imageStatus(ref);
      expect(summary(run.stdout)).toMatchObject({ node: "n1", state: "succeeded" });
      expect(summary(run.stdout).pulled).toEqual([
        { ref, imageId: held?.id, digest, verified: true, alreadyPresent: false },
      ]);
    });

    it("does not pull again an image held at the expected digest; without one it asks the registry", async () => {
      const ref = lab.ref("cmd/held:1");
      const digest = await lab.buildAndPush("cmd/held:1", { salt: "cmd-held" });
      const id = await cri.pullImage(ref);
      // Any pull would now fail: the registry no longer has the manifest.
      await lab.deleteTag("cmd/held:1");

      const run = await oneShot("pull", ref, "--expect-digest", digest);
      expect(run.code, run.stderr).toBe(0);
      expect(summary(run.stdout).pulled).toEqual([{ ref, imageId: id, digest, verified: true, alreadyPresent: true }]);

      const unverified = await oneShot("pull", ref);
      expect(unverified.code).toBe(1);
      const [item] = summary(unverified.stdout).pulled ?? [];
      expect(item).toMatchObject({ ref, alreadyPresent: false, verified: null });
      expect(item?.error).toMatch(/not found/i);
    });

    it("reports a wrong expected digest as a failure naming both digests", async () => {
      const ref = lab.ref("cmd/wrong:1");
      const digest = await lab.buildAndPush("cmd/wrong:1", { salt: "cmd-wrong" });
      const run = await oneShot("pull", ref, "--expect-digest", WRONG);
      expect(run.code).toBe(1);
      const out = summary(run.stdout);
      expect(out.state).toBe("failed");
      const [item] = out.pulled ?? [];
      expect(item).toMatchObject({ ref, digest, verified: false, alreadyPresent: false });
      expect(item?.error).toContain(short(digest));
      expect(item?.error).toContain(short(WRONG));
      expect(out.message).toContain(short(WRONG));
    });

    it("--dry-run pulls nothing", async () => {
      const ref = lab.ref("cmd/dry:1");
      await lab.buildAndPush("cmd/dry:1", { salt: "cmd-dry" });
      const run = await oneShot("pull", ref, "--dry-run");
      expect(run.code, run.stderr).toBe(0);
      expect(summary(run.stdout)).toMatchObject({ dryRun: true, pulled: [{ ref, alreadyPresent: false }] });
      expect(await cri.imageStatus(ref)).toBeNull();
    });

    it("over the collector stream: a moved tag is pulled again, verified, and the agent rescans at once", async () => {
      const ref = lab.ref("cmd/moving:1");
      await lab.buildAndPush("cmd/moving:1", { salt: "moving-1" });
      const oldId = await cri.pullImage(ref);
      const newDigest = await lab.buildAndPush("cmd/moving:1", { salt: "moving-2" });

      const run = await stub.run({ type: "pull", images: [{ ref, expectedDigest: newDigest }], dryRun: false });
      expect(run.final.state, run.final.message).toBe("succeeded");
      expect(run.updates[0]?.state).toBe("running");
      const pulled = run.result.pulled?.[0] as PulledImage;
      expect(pulled).toMatchObject({ ref, digest: newDigest, verified: true, alreadyPresent: false });
      expect(pulled.imageId).not.toBe(oldId);
      expect((await cri.imageStatus(ref))?.id).toBe(pulled.imageId);

      // The daemon scans every 10 minutes: only the rescan after the command can show the new count this fast.
      const count = (await cri.listImages()).length;
      await waitFor(
        async () => sample(await (await fetch(`${agent.url}/metrics`)).text(), "imagedrift_agent_images") === count,
        { what: `the agent's metrics to show ${count} images`, timeoutMs: 5_000, intervalMs: 100 },
      );
    });
  });

  describe("prune", () => {
    let pod: Awaited<ReturnType<typeof runPod>>;
    let expectedGone: string[];

    beforeAll(async () => {
      const refs = { created: "prune/created:1", running: "prune/running:1", exited: "prune/exited:1" };
      for (const [state, repoTag] of Object.entries(refs)) {
        await lab.buildAndPush(repoTag, { runnable: true, salt: `prune-${state}` });
      }
      await lab.buildAndPush("prune/idle:1", { salt: "prune-idle" });
      await cri.pullImage(lab.ref("prune/idle:1"));
      await lab.buildAndPush("prune/moving:1", { salt: "prune-moving-1" });
      await cri.pullImage(lab.ref("prune/moving:1"));
      await lab.buildAndPush("prune/moving:1", { salt: "prune-moving-2" });
      await cri.pullImage(lab.ref("prune/moving:1"));
      await lab.importImage(node, "prune/local:dev", { salt: "prune-local" });
      await waitFor(async () => (await cri.imageStatus(lab.ref("prune/local:dev"))) !== null, {
        what: "CRI to list the imported image",
      });
      pod = await runPod(node, {
        name: "web",
        namespace: "shop",
        containers: [
          { name: "created", image: lab.ref(refs.created), state: "created" },
          { name: "running", image: lab.ref(refs.running), state: "running" },
          { name: "exited", image: lab.ref(refs.exited), state: "exited" },
        ],
      });
      const pause = (await cri.imageStatus(lab.sandboxImage))?.id;
      const used = new Set([...pod.containers.map((c) => c.imageRef), pause]);
      expectedGone = (await ids()).filter((id) => !used.has(id));
      expect(expectedGone.length).toBeGreaterThanOrEqual(4);
    });

    it("asks no registry, so without --allow-unrecoverable it keeps every image as a possible only copy", async () => {
      const before = await lab.ctr(node, "images", "ls");
      const run = await oneShot("prune", "--policy", "unused");
      expect(run.code, run.stderr).toBe(0);
      expect(await lab.ctr(node, "images", "ls")).toBe(before);
      const out = summary(run.stdout);
      expect(out.removed).toEqual([]);
      const reasons = Object.fromEntries((out.skipped ?? []).map((s) => [s.id, s.reason]));
      for (const id of expectedGone) expect(reasons[id]).toMatch(/^(maybe the )?only copy/);
    });

    it("--dry-run removes nothing and shows what would go and the bytes", async () => {
      const before = await lab.ctr(node, "images", "ls");
      const run = await oneShot("prune", "--policy", "unused", "--dry-run", "--allow-unrecoverable");
      expect(run.code, run.stderr).toBe(0);
      expect(await lab.ctr(node, "images", "ls")).toBe(before);
      const out = summary(run.stdout);
      expect(out.dryRun).toBe(true);
      expect(out.removed?.map((r) => r.id).sort()).toEqual(expectedGone);
      let bytes = 0;
      for (const id of expectedGone) bytes += await sizeOf(id);
      expect(out.reclaimedBytes).toBe(bytes);
      expect(out.message).toMatch(/^would remove \d+ images/);
    });

    it("--policy unused removes exactly the unused images; created, running and exited containers' images and the pause image stay", async () => {
      const containersBefore = (await cri.listContainers()).map((c) => c.id).sort();
      const run = await oneShot("prune", "--policy", "unused", "--allow-unrecoverable");
      expect(run.code, run.stderr).toBe(0);
      const out = summary(run.stdout);
      expect(out.state).toBe("succeeded");
      expect(out.removed?.map((r) => r.id).sort()).toEqual(expectedGone);
      const pause = (await cri.imageStatus(lab.sandboxImage))?.id;
      expect(await ids()).toEqual([...pod.containers.map((c) => c.imageRef), pause].sort());
      expect((await cri.listContainers()).map((c) => c.id).sort()).toEqual(containersBefore);
      const reasons = Object.fromEntries((out.skipped ?? []).map((s) => [s.id, s.reason]));
      for (const c of pod.containers) expect(reasons[c.imageRef]).toBe(`in use by shop/web (${c.name}, ${c.state})`);
      expect(reasons[pause ?? ""]).toBe("sandbox image");
    });

    it("with no pod left, the pause image still stays and the former containers' images go", async () => {
      await removePod(node, pod);
      const pause = (await cri.imageStatus(lab.sandboxImage))?.id;
      const run = await oneShot("prune", "--policy", "unused", "--allow-unrecoverable");
      expect(run.code, run.stderr).toBe(0);
      expect(await ids()).toEqual([pause]);
      expect(summary(run.stdout).skipped).toEqual([
        { id: pause, repoTags: [lab.sandboxImage], reason: "sandbox image" },
      ]);
    });
  });

  describe("over the collector stream", () => {
    it("remove keeps an image a container uses and removes the one nothing uses", async () => {
      await lab.buildAndPush("rm/used:1", { runnable: true, salt: "rm-used" });
      await lab.buildAndPush("rm/free:1", { salt: "rm-free" });
      const freeId = await cri.pullImage(lab.ref("rm/free:1"));
      const pod = await runPod(node, {
        name: "keeper",
        containers: [{ name: "app", image: lab.ref("rm/used:1"), state: "exited" }],
      });
      const usedId = pod.containers[0]?.imageRef ?? "";
      const absent = `sha256:${"e".repeat(64)}`;
      // The collector says which images a registry can give back; both can come back here.
      const run = await stub.run({
        type: "remove",
        imageIds: [usedId, freeId, absent],
        dryRun: false,
        recoverable: [usedId, freeId],
      });
      expect(run.final.state, run.final.message).toBe("succeeded");
      expect(run.result.removed).toEqual([{ id: freeId, repoTags: [lab.ref("rm/free:1")], bytes: expect.any(Number) }]);
      expect(run.result.skipped).toEqual(
        expect.arrayContaining([
          { id: absent, repoTags: [], reason: "not on the node" },
          { id: usedId, repoTags: [lab.ref("rm/used:1")], reason: "in use by default/keeper (app, exited)" },
        ]),
      );
      expect(await cri.imageStatus(usedId)).not.toBeNull();
      expect(await cri.imageStatus(freeId)).toBeNull();
      await removePod(node, pod);
    });

    it("an invalid spec fails with a message naming what is wrong", async () => {
      const bad = await stub.run("{not json");
      expect(bad.final).toMatchObject({ state: "failed", message: "invalid command spec: not valid JSON" });
      const wrong = await stub.run({
        type: "pull",
        images: [{ ref: lab.ref("x:1"), expectedDigest: "md5:1" }],
        dryRun: false,
      });
      expect(wrong.final.state).toBe("failed");
      expect(wrong.final.message).toContain("images[0].expectedDigest: must be a digest");
    });

    it("a cancel stops a running command between items and reports what it did; a queued one never starts", async () => {
      // An incompressible layer makes the first pull take long enough for the cancel to arrive during it.
      await lab.buildAndPush("cancel/big:1", { files: { "/blob": randomBytes(16 * 1024 * 1024) } });
      await lab.buildAndPush("cancel/small:1", { salt: "cancel-small" });
      const big = lab.ref("cancel/big:1");
      const small = lab.ref("cancel/small:1");
      const running = stub.send({
        type: "pull",
        images: [
          { ref: big, expectedDigest: null },
          { ref: small, expectedDigest: null },
        ],
        dryRun: false,
      });
      const queued = stub.send({ type: "pull", images: [{ ref: small, expectedDigest: null }], dryRun: false });
      stub.cancel(queued);
      await waitFor(() => stub.updates(running).length > 0, { what: "the pull to start" });
      stub.cancel(running);

      const q = await stub.finished(queued);
      expect(q.final).toMatchObject({ state: "cancelled", message: "cancelled before it started" });
      const r = await stub.finished(running);
      expect(r.final.state).toBe("cancelled");
      expect(r.final.message).toMatch(/^cancelled: pulled 1,/);
      expect(r.result.pulled?.map((p) => p.ref)).toEqual([big]);
      expect(await cri.imageStatus(small)).toBeNull();
    });

    it("a command that outlives its timeout fails with 'timed out after …'", async () => {
      await lab.buildAndPush("timeout/a:1", { salt: "timeout-a" });
      await lab.buildAndPush("timeout/b:1", { salt: "timeout-b" });
      const run = await stub.run(
        {
          type: "pull",
          images: [
            { ref: lab.ref("timeout/a:1"), expectedDigest: null },
            { ref: lab.ref("timeout/b:1"), expectedDigest: null },
          ],
          dryRun: false,
        },
        { timeoutMs: 1 },
      );
      expect(run.final.state).toBe("failed");
      expect(run.final.message).toMatch(/^timed out after 1ms/);
      expect(run.result.pulled?.length ?? 0).toBeLessThan(2);
    });
  });

  describe("one-shot usage errors and exit codes", () => {
    it.each([
      [["pull", "a:1", "b:1", "--expect-digest", WRONG], /--expect-digest applies to one REF only/],
      [["pull", "a:1", "--expect-digest", "sha256:abc"], /--expect-digest: "sha256:abc" is not a digest/],
      [["pull", "UPPER/case:1"], /repository name must be lowercase/],
      [["prune", "--policy", "stale"], /--policy stale needs .* only the collector/],
      [["prune", "--older-than", "7d"], /--older-than needs the collector's history/],
      [["prune", "--policy", "everything"], /--policy/],
      [["prune", "--target-usage-percent", "150"], /--target-usage-percent/],
    ])("%j exits 2", async (args, message) => {
      const run = await oneShot(...args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(message);
    });

    it("an unreachable runtime exits 3", async () => {
      const run = await runAgent([
        "pull",
        "a:1",
        "--cri-endpoint",
        `unix://${lab.dir}/absent.sock`,
        "--node-name",
        "n1",
      ]);
      expect(run.code).toBe(3);
      expect(run.stdout).toBe("");
    });
  });
});
