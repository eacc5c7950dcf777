/**
 * End to end: the real collector binary with `--kubernetes on` (and `auto`
 * with KUBECONFIG) against the FAKE Kubernetes API server
 * (packages/collector/src/kubernetes/fake-kube-api.fake.ts) through a
 * kubeconfig file. The pods' status imageIDs carry two repo digests of one
 * tag in one Deployment, with IfNotPresent: the REST API must report
 * `mixed-replicas` and `pull-policy-risk`. No agent, no containerd: these
 * findings come from the Kubernetes API alone.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FakeKubeApi } from "../../packages/collector/src/kubernetes/fake-kube-api.fake.js";
import { nodeObject, ownedObject, podObject } from "../../packages/collector/src/kubernetes/kube-objects.fake.js";
import { findings } from "../collector/api.js";
import { freePort } from "../lab/ports.js";
import { COLLECTOR_BIN, type Collector, startCollector } from "../scenario/processes.js";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

let dir: string;
let api: FakeKubeApi;
let kubeconfig: string;
/** A loopback registry nobody listens on: the collector's resolution of the pods' tag fails fast, offline. */
let image: string;
/** Its repository: the pods' imageIDs are `repo@sha256:…`, as containerd reports them. */
let repo: string;
const collectors: Collector[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "idl-kube-"));
  api = await FakeKubeApi.start();
  kubeconfig = await api.writeKubeconfig(dir);
  image = `127.0.0.1:${await freePort()}/shop/web:v1`;
  repo = image.slice(0, image.lastIndexOf(":"));
  api.put("nodes", nodeObject("n1"));
  api.put("nodes", nodeObject("n2"));
  api.put("replicasets", ownedObject("shop", "web-5d8f", { kind: "Deployment", name: "web" }));
  for (const [name, node, digest] of [
    ["web-5d8f-a", "n1", D1],
    ["web-5d8f-b", "n2", D2],
  ] as const) {
    api.put(
      "pods",
      podObject({
        name,
        node,
        owner: { kind: "ReplicaSet", name: "web-5d8f" },
        containers: [{ name: "app", image, imagePullPolicy: "IfNotPresent", imageID: `${repo}@${digest}` }],
      }),
    );
  }
});

afterAll(async () => {
  for (const collector of collectors) await collector.stop();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function start(mode: "on" | "auto", name: string): Promise<Collector> {
  const collector = await startCollector({
    dir: await mkdtemp(join(dir, `${name}-`)),
    extraArgs: ["--kubernetes", mode],
    env: { ...process.env, KUBECONFIG: kubeconfig, KUBERNETES_SERVICE_HOST: "" },
  });
  collectors.push(collector);
  return collector;
}

describe("the collector with the Kubernetes API", () => {
  it("reports mixed-replicas and pull-policy-risk from the API's pods (--kubernetes on)", async () => {
    const collector = await start("on", "on");
    await vi.waitFor(
      async () => {
        const kinds = (await findings(collector.url)).map((f) => f.kind).sort();
        expect(kinds).toEqual(["mixed-replicas", "pull-policy-risk"]);
      },
      { timeout: 20_000, interval: 200 },
    );
    const all = await findings(collector.url);
    const mixed = all.find((f) => f.kind === "mixed-replicas");
    expect(mixed).toMatchObject({
      severity: "critical",
      reference: image,
      nodes: ["n1", "n2"],
      digests: [D1, D2],
    });
    expect(mixed?.remedy).toBe(`imagedrift refresh ${image} && kubectl -n shop rollout restart deployment/web`);
    expect(mixed?.message).toContain("Deployment shop/web");
    const risk = all.find((f) => f.kind === "pull-policy-risk");
    expect(risk).toMatchObject({ severity: "warning", reference: image, nodes: ["n1", "n2"] });
    expect(risk?.remedy).toContain("kubectl -n shop patch deployment web --type=json");
    expect(risk?.pods.map((p) => p.pod)).toEqual(["web-5d8f-a", "web-5d8f-b"]);

    // A fix through the API closes the findings: one digest everywhere, pulled Always.
    const fixed = (name: string, node: string) =>
      podObject({
        name,
        node,
        owner: { kind: "ReplicaSet", name: "web-5d8f" },
        containers: [{ name: "app", image, imagePullPolicy: "Always", imageID: `${repo}@${D2}` }],
      });
    api.put("pods", fixed("web-5d8f-a", "n1"));
    api.put("pods", fixed("web-5d8f-b", "n2"));
    await vi.waitFor(async () => expect(await findings(collector.url)).toEqual([]), { timeout: 20_000, interval: 200 });
  });

  it("turns the Kubernetes API on in auto mode when KUBECONFIG is set", async () => {
    const collector = await start("auto", "auto");
    await vi.waitFor(
      async () =>
        expect(await readFile(collector.daemon.logFile, "utf8")).toContain("kubernetes: pods and nodes listed"),
      { timeout: 20_000, interval: 200 },
    );
  });

  it("refuses a plain-http kubeconfig without insecure-skip-tls-verify, naming the fix", async () => {
    const insecure = join(dir, "kubeconfig-no-skip");
    await writeFile(insecure, api.kubeconfig().replace("      insecure-skip-tls-verify: true\n", ""));
    const run = spawnSync(process.execPath, [COLLECTOR_BIN, "--kubernetes", "on", "--db", ":memory:"], {
      env: { ...process.env, KUBECONFIG: insecure },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("insecure-skip-tls-verify: true");
  });
});
