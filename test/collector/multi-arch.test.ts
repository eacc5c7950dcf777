/**
 * A multi-arch tag re-pushed with one platform changed, on real containerd
 * and the real registry, through the real collector and agents. A node that
 * re-pulled holds one image with two repo digests of the repository (the old
 * and the new index): it is current whichever of the two sorts first. A node
 * that did not re-pull holds what a fresh pull would give it on its platform:
 * also current, marked as a platform match. Only a change of the node's own
 * platform makes it stale.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostPlatform, type Lab, type Platform, runPod, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, CLI_BIN, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { findings, tag } from "./api.js";

let lab: Lab;
let collector: Collector;
const agents: Agent[] = [];

const host = hostPlatform();
const other: Platform = { os: "linux", architecture: host.architecture === "arm64" ? "amd64" : "arm64" };
const platforms = [host, other];

interface Pushed {
  ref: string;
  oldDigest: string;
  newDigest: string;
}
const pushed = new Map<string, Pushed>();

async function pull(node: string, ref: string): Promise<void> {
  const cri = CriClient.connect({ endpoint: lab.node(node).endpoint });
  try {
    await cri.pullImage(ref);
  } finally {
    cri.close();
  }
}

/**
 * Pushes `repoTag` as an index over two platforms, pulls it on n1 and n2,
 * pushes it again with `changed`'s manifest rebuilt, the new index digest
 * sorting `order` the old one (rebuilt until it does), and pulls it again on n2.
 */
async function repush(repoTag: string, changed: Platform, order: "before" | "after"): Promise<Pushed> {
  const ref = lab.ref(repoTag);
  const oldDigest = await lab.buildAndPush(repoTag, { runnable: true, salt: repoTag, platforms });
  await Promise.all([pull("n1", ref), pull("n2", ref)]);
  for (let attempt = 0; ; attempt++) {
    const image = await lab.build({
      runnable: true,
      salt: repoTag,
      platforms,
      platformSalts: { [changed.architecture]: `v2 ${attempt}` },
    });
    if (order === "before" ? image.digest < oldDigest : image.digest > oldDigest) {
      const newDigest = await lab.push(image, repoTag);
      await pull("n2", ref);
      return { ref, oldDigest, newDigest };
    }
  }
}

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1", "n2"] });
  const dir = await mkdtemp("/tmp/idl-multiarch-");
  for (const order of ["before", "after"] as const) {
    pushed.set(order, await repush(`multi/other-${order}:1`, other, order));
    pushed.set(`own-${order}`, await repush(`multi/own-${order}:1`, host, order));
  }
  // Pods started after n2's pull: they run what the tag points at now.
  for (const key of ["before", "after", "own-before", "own-after"]) {
    const ref = pushed.get(key)?.ref ?? "";
    await runPod(lab.node("n2"), { name: `app-${key}`, namespace: "shop", containers: [{ name: "app", image: ref }] });
  }
  collector = await startCollector({ dir, resolveInterval: "2s" });
  for (const node of lab.nodes) {
    agents.push(await startAgent({ dir, node: node.name, endpoint: node.endpoint, collector: collector.grpcAddress }));
  }
});

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await collector?.stop();
  await lab?.stop();
});

/** The tag's view once the registry's digest is known and both nodes hold it. */
async function resolvedTag(ref: string) {
  return waitFor(
    async () => {
      const view = await tag(collector.url, ref);
      return view?.registryDigest && view.nodes.length === 2 ? view : undefined;
    },
    { what: `${ref} resolved on 2 nodes`, timeoutMs: 30_000 },
  );
}

describe.each(["before", "after"])(
  "an index re-pushed with another platform changed, new digest sorting %s",
  (order) => {
    it("reads n2 (re-pulled) current at the new index, n1 current as a platform match, the tag current", async () => {
      const { ref, oldDigest, newDigest } = pushed.get(order) as Pushed;
      const view = await resolvedTag(ref);
      expect(view.registryDigest).toBe(newDigest);
      expect(view.nodes.map((n) => [n.node, n.digest, n.status, n.platformMatch ?? false])).toEqual([
        ["n1", oldDigest, "current", true],
        ["n2", newDigest, "current", false],
      ]);
      expect(view.status).toBe("current");
    });

    it("opens no stale-tag, inconsistent-tag or running-stale finding, and verify passes", async () => {
      const { ref } = pushed.get(order) as Pushed;
      await resolvedTag(ref);
      // The own-platform tags of the same lab open theirs: once they show, this tag's findings are settled too.
      const own = pushed.get(`own-${order}`) as Pushed;
      await waitFor(async () => (await findings(collector.url)).some((f) => f.reference === own.ref), {
        what: `findings of ${own.ref}`,
        timeoutMs: 30_000,
      });
      expect((await findings(collector.url)).filter((f) => f.reference === ref)).toEqual([]);
      const verify = spawnSync(process.execPath, [CLI_BIN, "--server", collector.url, "verify", ref], {
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    });
  },
);

describe.each(["before", "after"])("an index re-pushed with the node's own platform changed, sorting %s", (order) => {
  it("reads n1 stale, n2 current, the tag inconsistent; the finding refreshes n1 only", async () => {
    const { ref, oldDigest, newDigest } = pushed.get(`own-${order}`) as Pushed;
    const view = await resolvedTag(ref);
    expect(view.nodes.map((n) => [n.node, n.digest, n.status, n.platformMatch ?? false])).toEqual([
      ["n1", oldDigest, "stale", false],
      ["n2", newDigest, "current", false],
    ]);
    expect(view.status).toBe("inconsistent");
    const inconsistent = await waitFor(
      async () => (await findings(collector.url)).find((f) => f.kind === "inconsistent-tag" && f.reference === ref),
      { what: `inconsistent-tag of ${ref}`, timeoutMs: 30_000 },
    );
    expect(inconsistent.remedy).toMatch(/--nodes n1$/);
    const running = (await findings(collector.url)).filter((f) => f.kind === "running-stale" && f.reference === ref);
    expect(running).toEqual([]);
  });
});
