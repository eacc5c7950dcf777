/**
 * The seeds' incidents on 3 real containerd nodes and a real registry, seen
 * through the real collector and agents (docs/ARCHITECTURE.md#the-collector, #findings, #rest-api).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Incidents, seedIncidents } from "../scenario/incidents.js";
import { type Agent, CLI_BIN, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { findings, images, nodes, tag, tags } from "./api.js";

const TOKEN = "lab-token-7f3a";
let lab: Lab;
let dir: string;
let incidents: Incidents;
let collector: Collector;
const agents = new Map<string, Agent>();

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI_BIN, "--server", collector.url, ...args], { encoding: "utf8", timeout: 30_000 });

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1", "n2", "n3"] });
  dir = await mkdtemp("/tmp/idl-drift-");
  incidents = await seedIncidents(lab);
  collector = await startCollector({ dir, token: TOKEN, resolveInterval: "2s" });
  for (const node of lab.nodes) {
    agents.set(
      node.name,
      await startAgent({
        dir,
        node: node.name,
        endpoint: node.endpoint,
        collector: collector.grpcAddress,
        tokenFile: collector.tokenFile,
      }),
    );
  }
  await waitFor(
    async () => {
      const list = await nodes(collector.url);
      return list.length === 3 && list.every((n) => n.imageCount > 0);
    },
    { what: "3 nodes' inventories", timeoutMs: 30_000 },
  );
});

afterAll(async () => {
  await Promise.allSettled([...agents.values()].map((a) => a.stop()));
  await collector?.stop();
  await lab?.stop();
});

type Finding = Awaited<ReturnType<typeof findings>>[number];

/** The first finding that matches, once the collector's findings have caught up with its tags' live view. */
function settledFinding(match: (f: Finding) => boolean, what: string): Promise<Finding> {
  return waitFor(async () => (await findings(collector.url)).find(match), { what, timeoutMs: 30_000 });
}

describe("the seeds' incidents", () => {
  it("re-pushed :latest: the tag is inconsistent, n1 stale, n2 and n3 current, against the registry's digest", async () => {
    const web = await waitFor(
      async () => {
        const t = await tag(collector.url, incidents.web.ref);
        return t?.registryDigest ? t : undefined;
      },
      { what: "web:latest resolved", timeoutMs: 30_000 },
    );
    expect(web.status).toBe("inconsistent");
    expect(web.registryDigest).toBe(incidents.web.newDigest);
    expect(web.nodes.map((n) => [n.node, n.digest, n.status])).toEqual([
      ["n1", incidents.web.oldDigest, "stale"],
      ["n2", incidents.web.newDigest, "current"],
      ["n3", incidents.web.newDigest, "current"],
    ]);
    // Findings follow the tags' live view at the next recompute, moments later.
    const finding = await settledFinding(
      (f) => f.kind === "inconsistent-tag" && f.reference === incidents.web.ref && f.registryDigest !== null,
      "web's inconsistent-tag finding",
    );
    expect(finding).toMatchObject({
      severity: expect.stringMatching(/critical|warning/),
      registryDigest: incidents.web.newDigest,
    });
    expect(finding?.digests.sort()).toEqual([incidents.web.newDigest, incidents.web.oldDigest].sort());
    expect(finding?.remedy).toContain("imagedrift refresh");
    expect(finding?.remedy).toContain("n1");
  });

  it("a tag pushed again that no node pulled: nodes agree, and both are stale-tag against the registry", async () => {
    const api = await waitFor(
      async () => {
        const t = await tag(collector.url, incidents.api.ref);
        return t?.registryDigest ? t : undefined;
      },
      { what: "api:stable resolved", timeoutMs: 30_000 },
    );
    expect(api.status).toBe("stale");
    expect(api.registryDigest).toBe(incidents.api.newDigest);
    expect(api.nodes.map((n) => [n.node, n.digest, n.status])).toEqual([
      ["n1", incidents.api.oldDigest, "stale"],
      ["n3", incidents.api.oldDigest, "stale"],
    ]);
    const f = await settledFinding((x) => x.kind === "stale-tag" && x.nodes.length === 2, "stale-tag on both nodes");
    expect(f).toMatchObject({
      reference: incidents.api.ref,
      nodes: ["n1", "n3"],
      registryDigest: incidents.api.newDigest,
    });
    expect(f?.remedy).toBe(`imagedrift refresh ${incidents.api.ref} --nodes n1,n3`);
  });

  it("pods keep running the old digest: running-stale names each pod and node", async () => {
    const f = await waitFor(
      async () =>
        (await findings(collector.url)).find((x) => x.kind === "running-stale" && x.reference === incidents.web.ref),
      { what: "running-stale", timeoutMs: 30_000 },
    );
    expect(f.severity).toBe("critical");
    expect(f.pods.map((p) => [p.node, p.namespace, p.pod, p.container]).sort()).toEqual([
      ["n1", "shop", "web-1", "web"],
      ["n2", "shop", "web-2", "web"],
    ]);
    expect(f.message).toContain("web-1");
    expect(f.remedy).toContain("kubectl");
  });

  it("an image deleted from the registry is missing-in-registry", async () => {
    const legacy = await waitFor(
      async () => {
        const t = await tag(collector.url, incidents.legacy.ref);
        return t?.status === "missing-in-registry" ? t : undefined;
      },
      { what: "legacy missing", timeoutMs: 30_000 },
    );
    expect(legacy.nodes.map((n) => n.node)).toEqual(["n1", "n2"]);
    const f = await settledFinding(
      (x) => x.kind === "missing-in-registry" && x.nodes.length === 2,
      "the missing-in-registry finding",
    );
    expect(f).toMatchObject({ reference: incidents.legacy.ref, nodes: ["n1", "n2"] });
  });

  it("an image imported on one node and never pushed is local-only", async () => {
    const tools = await waitFor(
      async () => {
        const t = await tag(collector.url, incidents.tools.ref);
        return t?.status === "local-only" ? t : undefined;
      },
      { what: "tools local-only", timeoutMs: 30_000 },
    );
    expect(tools.nodes).toEqual([expect.objectContaining({ node: "n3", digest: null })]);
    const f = await settledFinding((x) => x.kind === "local-only", "the local-only finding");
    expect(f).toMatchObject({ reference: incidents.tools.ref, nodes: ["n3"] });
  });

  it("a multi-arch index is current everywhere, compared by index digest, with no finding", async () => {
    const runtime = await waitFor(
      async () => {
        const t = await tag(collector.url, incidents.runtime.ref);
        return t?.registryDigest ? t : undefined;
      },
      { what: "runtime resolved", timeoutMs: 30_000 },
    );
    expect(runtime.status).toBe("current");
    expect(runtime.registryDigest).toBe(incidents.runtime.digest);
    expect(runtime.nodes.every((n) => n.digest === incidents.runtime.digest && n.imageId !== n.digest)).toBe(true);
    expect((await findings(collector.url)).filter((f) => f.reference === incidents.runtime.ref)).toEqual([]);
  });
});

describe("REST shapes (docs/ARCHITECTURE.md#rest-api)", () => {
  it("nodes, images with containers, and metrics", async () => {
    const list = await nodes(collector.url);
    expect(list.map((n) => n.name)).toEqual(["n1", "n2", "n3"]);
    for (const n of list) {
      expect(n).toMatchObject({ runtime: { name: "containerd" }, state: "reporting" });
      expect(n.imageCount).toBeGreaterThan(0);
    }
    // containerd refreshes its image filesystem usage every 10 s after start.
    await waitFor(async () => (await nodes(collector.url)).every((n) => n.imageFs.usedBytes > 0), {
      what: "image filesystem usage on every node",
      timeoutMs: 30_000,
    });
    const n1 = await images(collector.url, "n1");
    const running = n1.find((i) =>
      i.repoDigests.includes(`${incidents.web.ref.replace(/:latest$/, "")}@${incidents.web.oldDigest}`),
    );
    expect(running?.inUse).toBe(true);
    expect(running?.containers).toEqual([
      expect.objectContaining({ pod: "web-1", namespace: "shop", container: "web", state: "running" }),
    ]);
    const missing = await fetch(`${collector.url}/api/v1/nodes/nope/images`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "not-found", message: expect.stringContaining('"nope"') } });
    const bad = await fetch(`${collector.url}/api/v1/tags?status=bogus`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain("bogus");
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toContain('imagedrift_nodes{state="reporting"} 3');
    expect(metrics).toMatch(/imagedrift_tag_distinct_digests\{image="127\.0\.0\.1:\d+\/shop\/web",tag="latest"\} 2/);
    expect(metrics).toMatch(/imagedrift_findings\{kind="running-stale",severity="critical"\} 1/);
    expect(metrics).toMatch(/imagedrift_registry_requests_total\{registry="127\.0\.0\.1:\d+",code="200"\}/);
  });
});

describe("verify", () => {
  it("exits 1 while nodes disagree with the registry, and 0 once they agree", async () => {
    const before = cli("verify", incidents.web.ref);
    expect(before.status, before.stderr).toBe(1);
    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    await cri.pullImage(incidents.web.ref);
    cri.close();
    await waitFor(async () => (await tag(collector.url, incidents.web.ref))?.status === "current", {
      what: "web current on every node",
      timeoutMs: 30_000,
    });
    const after = cli("verify", incidents.web.ref);
    expect(after.status, after.stdout + after.stderr).toBe(0);
  });

  it("passes over pods still on the old digest only saying so, and fails with --fail-on-running-stale", async () => {
    // Every node now holds the registry's digest of web:latest, but web-1 (n1) and web-2 (n2) were started from
    // the old one: the state right before a rollout restarts them.
    const passed = cli("verify", incidents.web.ref);
    expect(passed.status, passed.stdout + passed.stderr).toBe(0);
    const old = incidents.web.oldDigest.slice(0, "sha256:".length + 12);
    expect(passed.stdout).toMatch(/2 containers still run an old digest:/);
    expect(passed.stdout).toContain(`shop/web-1 (web) on n1 runs ${old}`);
    expect(passed.stdout).toContain(`shop/web-2 (web) on n2 runs ${old}`);
    expect(passed.stdout).toMatch(/restart: kubectl -n shop delete pod web-1 web-2/);
    expect(passed.stdout).toMatch(/verify passed: .*, but 2 containers still run an old digest/);
    const gated = cli("verify", incidents.web.ref, "--fail-on-running-stale");
    expect(gated.status, gated.stdout + gated.stderr).toBe(1);
    expect(gated.stdout).toMatch(/verify failed: .*\(2 containers still on an old digest\)/);
    // Only the checked nodes' containers count: n3 runs none of them.
    const n3 = cli("verify", incidents.web.ref, "--nodes", "n3", "--fail-on-running-stale");
    expect(n3.status, n3.stdout + n3.stderr).toBe(0);
    // A table's 12 hex digits are enough for --digest.
    const byPrefix = cli("verify", incidents.web.ref, "--digest", incidents.web.newDigest.slice(0, 19));
    expect(byPrefix.status, byPrefix.stdout + byPrefix.stderr).toBe(0);
  });
});

describe("agents", () => {
  it("a wrong token is refused and logged, and that node never appears", async () => {
    const wrongToken = `${dir}/wrong-token`;
    await writeFile(wrongToken, "not-the-token\n");
    const intruder = await startAgent({
      dir,
      node: "intruder",
      endpoint: lab.node("n1").endpoint,
      collector: collector.grpcAddress,
      tokenFile: wrongToken,
    });
    try {
      await waitFor(
        async () =>
          (await readFile(collector.daemon.logFile, "utf8")).includes("agent refused: missing or wrong token"),
        { what: "the refusal in the collector's log" },
      );
      expect((await nodes(collector.url)).map((n) => n.name)).not.toContain("intruder");
      expect(await readFile(collector.daemon.logFile, "utf8")).not.toContain("not-the-token");
    } finally {
      await intruder.stop();
    }
  });

  it("a node's containerd restarted: no false change", async () => {
    const before = await findings(collector.url);
    const node = lab.node("n3");
    await node.stop();
    await node.start();
    const agentUrl = agents.get("n3")?.url ?? "";
    await waitFor(async () => (await fetch(`${agentUrl}/readyz`)).ok, {
      what: "n3's agent ready again",
      timeoutMs: 30_000,
    });
    const after = await findings(collector.url);
    const stable = (list: typeof before) => list.map((f) => [f.id, f.firstSeenAt]).sort();
    expect(stable(after)).toEqual(stable(before));
  });

  it("an agent stopped: agent-missing after three intervals, gone when it is back", async () => {
    await agents.get("n2")?.stop();
    const f = await waitFor(
      async () => (await findings(collector.url)).find((x) => x.kind === "agent-missing" && x.reference === "n2"),
      { what: "agent-missing for n2", timeoutMs: 20_000 },
    );
    expect(f).toMatchObject({ severity: "critical", nodes: ["n2"] });
    expect((await nodes(collector.url)).find((n) => n.name === "n2")?.state).toBe("missing");
    agents.set(
      "n2",
      await startAgent({
        dir,
        node: "n2",
        endpoint: lab.node("n2").endpoint,
        collector: collector.grpcAddress,
        tokenFile: collector.tokenFile,
      }),
    );
    await waitFor(async () => !(await findings(collector.url)).some((x) => x.kind === "agent-missing"), {
      what: "agent-missing to clear",
      timeoutMs: 20_000,
    });
  });
});

describe("registry down", () => {
  it("leaves tags unresolved (never stale) while down, and resolves them within an interval once back", async () => {
    const second = await startCollector({ dir: await mkdtemp("/tmp/idl-down-"), resolveInterval: "2s" });
    await lab.registry.stop();
    const agent = await startAgent({
      dir,
      node: "n1",
      endpoint: lab.node("n1").endpoint,
      collector: second.grpcAddress,
    });
    try {
      const unresolved = await waitFor(
        async () => {
          const list = await tags(second.url);
          return list.length > 0 && list.every((t) => t.resolveError !== null || t.status === "local-only")
            ? list
            : undefined;
        },
        { what: "every tag tried and unresolved", timeoutMs: 30_000 },
      );
      for (const t of unresolved.filter((x) => x.status !== "local-only")) {
        expect(t.status, t.reference).toMatch(/unresolved|inconsistent/);
        expect(
          t.nodes.every((n) => n.status === "unknown"),
          t.reference,
        ).toBe(true);
      }
      expect(
        (await findings(second.url)).filter((f) => f.kind === "stale-tag" || f.kind === "missing-in-registry"),
      ).toEqual([]);
      await lab.registry.start();
      const back = Date.now();
      await waitFor(
        async () => (await tag(second.url, incidents.web.ref))?.registryDigest === incidents.web.newDigest,
        {
          what: "web:latest resolved again",
          timeoutMs: 15_000,
        },
      );
      expect(Date.now() - back).toBeLessThan(2_000 + 5_000);
    } finally {
      await agent.stop();
      await second.stop();
      await lab.registry.start();
    }
  });
});
