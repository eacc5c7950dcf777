/**
 * The shipped manifests run on lab containerd by the kubelet-like harness
 * (README.md here): both images built by `npm run images` and pushed to the
 * lab registry, `kubectl kustomize` of an overlay that names them and
 * replaces the token (deploy/README.md, "Install"), the collector
 * StatefulSet's pod on n1, the agent DaemonSet's pod on every node. Then
 * what the deployment promises, checked on the real processes.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { connect as connectTls } from "node:tls";
import type { JobRequest } from "@imagedrift/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeObject } from "../../packages/collector/src/kubernetes/kube-objects.fake.js";
import { images as nodeImages, nodes } from "../collector/api.js";
import { repoPath } from "../deploy/manifests.js";
import { finishedJob } from "../jobs/jobs-api.js";
import { startNode } from "../lab/containerd-node.js";
import { type Lab, startLab } from "../lab/lab.js";
import { waitFor } from "../lab/wait.js";
import { type ClusterApi, startClusterApi } from "./api-server.js";
import { type Harness, type HarnessPod, labSocket, makeHarness } from "./cluster.js";
import { containerProcess } from "./container-process.js";
import { buildImages, pushImages } from "./images.js";
import { criSocketOf, imageRefsOn, pullOn } from "./node-images.js";
import { type ProbeResult, podProbeUrl, probeOnce, waitForProbes } from "./probes.js";
import { type Rendered, renderDeploy } from "./render.js";

const NODES = ["n1", "n2"] as const;
/** The manifests' socket directory (deploy/base/agent-daemonset.yaml, volume cri-socket). */
const SOCKET = "/run/containerd/containerd.sock";

let lab: Lab;
let api: ClusterApi;
let harness: Harness;
let rendered: Rendered;
let collector: HarnessPod;
const agents = new Map<string, HarnessPod>();
const probes: ProbeResult[] = [];
let token: string;
let collectorUrl: string;
/** One image per node, pulled there before the agents start: each agent must report its own. */
const markers = new Map<string, string>();

const nodeOf = (name: string) => lab.node(name);

async function postJob(request: JobRequest, bearer: string): Promise<Response> {
  return fetch(`${collectorUrl}/api/v1/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify(request),
  });
}

/** Whether the collector lists `ref` among the node's images. */
async function reports(node: string, ref: string): Promise<boolean> {
  return (await nodeImages(collectorUrl, node)).some((i) => i.repoTags.includes(ref));
}

beforeAll(async () => {
  const built = await buildImages();
  console.log(built.trim()); // each image's size and build time, for the CI log
  lab = await startLab({ nodes: [...NODES], socket: labSocket(SOCKET) });
  const pushed = await pushImages(lab.registry.host);
  console.log(`harness: pushed to the lab registry in ${JSON.stringify(pushed.seconds)} s`);
  token = randomBytes(32).toString("hex");
  rendered = await renderDeploy({ resource: "deploy", images: pushed.images, token });
  api = await startClusterApi(join(lab.dir, "api"));
  harness = makeHarness({ lab, api, rendered, dir: join(lab.dir, "harness") });
  for (const node of NODES) {
    const ref = lab.ref(`inventory/${node}:v1`);
    await lab.buildAndPush(ref, { salt: `marker-${node}` });
    await pullOn(nodeOf(node), ref);
    markers.set(node, ref);
  }

  collector = await harness.start(rendered.collector, nodeOf("n1"));
  probes.push(...(await waitForProbes(collector.pod, 120_000)));
  collectorUrl = new URL(podProbeUrl(collector.pod, "readinessProbe")).origin;

  const started = performance.now();
  for (const node of NODES) agents.set(node, await harness.start(rendered.agent, nodeOf(node)));
  await waitFor(
    async () => {
      for (const node of NODES) if (!(await reports(node, markers.get(node) ?? ""))) return false;
      return true;
    },
    { what: "every lab node's agent container to report its node's image", timeoutMs: 90_000, intervalMs: 100 },
  );
  const reportedAt = Date.now();
  const firstStart = Math.min(...[...agents.values()].map((a) => a.pod.containers[0]?.startedAt ?? reportedAt));
  console.log(
    `harness: every node reporting ${reportedAt - firstStart} ms after the first agent container started` +
      ` (${Math.round(performance.now() - started)} ms after the first agent pod was asked for: pull, sandbox, start)`,
  );
  for (const agent of agents.values()) probes.push(...(await waitForProbes(agent.pod, 60_000)));
}, 30 * 60_000);

afterAll(async () => {
  await harness?.stop();
  await api?.close();
  await lab?.stop();
}, 120_000);

describe("the rendered manifests on lab containerd", () => {
  it("each agent container inventories its own node through the mounted socket and reports to the collector container", async () => {
    for (const node of NODES) {
      const other = NODES.find((n) => n !== node) ?? "";
      expect(await reports(node, markers.get(node) ?? "")).toBe(true);
      expect(await reports(node, markers.get(other) ?? "")).toBe(false);
    }
    const listed = await nodes(collectorUrl);
    expect(listed.map((n) => n.name).sort()).toEqual([...NODES]);
    expect(listed.every((n) => n.connected === true && n.runtime.name === "containerd")).toBe(true);
  });

  it("every probe of the manifests passes: the collector's startup, liveness, readiness; each agent's liveness, readiness", () => {
    const kinds = (pod: string) => probes.filter((p) => p.pod === pod).map((p) => p.kind);
    expect(kinds("imagedrift-collector-0")).toEqual(["startupProbe", "livenessProbe", "readinessProbe"]);
    for (const node of NODES) expect(kinds(`imagedrift-agent-${node}`)).toEqual(["livenessProbe", "readinessProbe"]);
  });

  it("the collector runs as uid 65532 with no capabilities, and creates its database on its volume", () => {
    const process = containerProcess(collector.pod, "--db=");
    expect(process.status.Uid?.split(/\s+/)[0]).toBe("65532");
    expect(process.status.Gid?.split(/\s+/)[0]).toBe("65532");
    expect(process.status.Groups?.split(/\s+/)).toContain("65532");
    expect(process.status.CapEff).toBe("0000000000000000");
    expect(process.status.NoNewPrivs).toBe("1");
    expect(process.readOnlyRoot).toBe(true);
    const db = statSync(join(lab.dir, "harness", "pods", "imagedrift-collector-0", "claims", "data", "imagedrift.db"));
    expect([db.uid, db.gid]).toEqual([65532, 65532]);
  });

  it("each agent runs as uid 0 with every capability dropped, no_new_privs, seccomp and a read-only root", () => {
    for (const node of NODES) {
      const process = containerProcess(agents.get(node)?.pod ?? collector.pod, "--cri-endpoint=");
      expect(process.status.Uid?.split(/\s+/)[0]).toBe("0");
      expect(process.status.CapEff).toBe("0000000000000000");
      expect(process.status.CapBnd).toBe("0000000000000000");
      expect(process.status.NoNewPrivs).toBe("1");
      // 2: a seccomp filter (the runtime's default profile, from seccompProfile: RuntimeDefault).
      expect(process.status.Seccomp).toBe("2");
      expect(process.readOnlyRoot).toBe(true);
    }
  });

  it("the collector container finds the API server through its service account, as in a pod (--kubernetes=auto)", () => {
    for (const resource of ["nodes", "pods"] as const) {
      expect(api.fake.count("list", resource), resource).toBeGreaterThan(0);
      expect(api.fake.count("watch", resource), resource).toBeGreaterThan(0);
    }
  });

  it("the agents' streams are TLS: the collector container published its CA to the Secret, the agents' volume got it", async () => {
    const published = await api.secret("imagedrift", "imagedrift-collector-ca");
    const ca = published?.["ca.crt"] ?? "";
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(Object.values(published ?? {}).join("\n")).not.toMatch(/PRIVATE KEY/);
    for (const node of NODES) {
      const volume = join(lab.dir, "harness", "pods", `imagedrift-agent-${node}`, "volumes", "collector-ca", "ca.crt");
      expect(readFileSync(volume, "utf8")).toBe(ca);
    }
    // The gRPC port (the Service's grpc) serves a certificate for the Service's name from that CA.
    const grpcPort = collector.pod.ports.get(9100);
    const peer = await new Promise<string>((resolve, reject) => {
      const socket = connectTls(
        {
          host: "127.0.0.1",
          port: grpcPort ?? 0,
          ca,
          servername: "imagedrift-collector.imagedrift.svc",
          ALPNProtocols: ["h2"],
        },
        () => {
          resolve(socket.authorized ? "authorized" : String(socket.authorizationError));
          socket.end();
        },
      );
      socket.on("error", reject);
    });
    expect(peer).toBe("authorized");
  });

  it("the token is in no container's log and not in the collector's database files", () => {
    const pods = [collector, ...agents.values()].map((p) => p.pod);
    const logs = pods.flatMap((pod) => pod.containers.map((c) => join(pod.logDirectory, c.name, "0.log")));
    const claim = join(lab.dir, "harness", "pods", "imagedrift-collector-0", "claims", "data");
    const dbFiles = readdirSync(claim)
      .filter((f) => f.startsWith("imagedrift.db"))
      .map((f) => join(claim, f));
    expect(logs.length).toBe(NODES.length + 1);
    expect(dbFiles.length).toBeGreaterThan(0);
    for (const file of [...logs, ...dbFiles]) expect(readFileSync(file).includes(token), file).toBe(false);
  });

  it("the page and the API answer", async () => {
    const page = await fetch(`${collectorUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/imagedrift/i);
    const health = await probeOnce(`${collectorUrl}/readyz`);
    expect(health.ok).toBe(true);
  });

  it("the REST token is the Secret's: a job with it is accepted, one with another token is refused", async () => {
    const refused = await postJob({ type: "prune", policy: { mode: "unused" }, dryRun: true }, "0".repeat(64));
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain(token);
  });

  it("a prepull job runs through the agent containers: the image arrives on every node", async () => {
    const ref = lab.ref("shop/prepulled:1.0");
    await lab.buildAndPush(ref, { salt: "prepulled" });
    const response = await postJob({ type: "prepull", images: [ref] }, token);
    expect(response.status).toBe(202);
    const job = await finishedJob(collectorUrl, ((await response.json()) as { id: string }).id, 60_000);
    expect(job.state).toBe("succeeded");
    expect(job.nodes.map((n) => n.node).sort()).toEqual([...NODES]);
    for (const node of NODES) expect(await imageRefsOn(nodeOf(node))).toContain(ref);
  });

  it("a prune --dry-run job runs through the agent containers and removes nothing", async () => {
    const before = await Promise.all(NODES.map((n) => imageRefsOn(nodeOf(n))));
    const response = await postJob({ type: "prune", policy: { mode: "unused" }, dryRun: true }, token);
    expect(response.status).toBe(202);
    const job = await finishedJob(collectorUrl, ((await response.json()) as { id: string }).id, 60_000);
    expect(job.state).toBe("succeeded");
    expect(job.nodes.map((n) => n.node).sort()).toEqual([...NODES]);
    expect(await Promise.all(NODES.map((n) => imageRefsOn(nodeOf(n))))).toEqual(before);
  });

  it("an agent container survives a restart of its node's containerd (it mounts the socket's directory)", async () => {
    const agent = agents.get("n2");
    if (!agent) throw new Error("no agent on n2");
    const pid = containerProcess(agent.pod, "--cri-endpoint=").pid;
    const node = nodeOf("n2");
    await node.stop();
    await node.start();
    const ref = lab.ref("shop/after-restart:1.0");
    await lab.buildAndPush(ref, { salt: "after-restart" });
    await pullOn(nodeOf("n2"), ref);
    await waitFor(() => reports("n2", ref), {
      what: "the n2 agent to report an image pulled after containerd restarted",
      timeoutMs: 90_000,
      intervalMs: 200,
    });
    // The same process: it reconnected, nobody restarted it.
    expect(containerProcess(agent.pod, "--cri-endpoint=").pid).toBe(pid);
    expect((await probeOnce(podProbeUrl(agent.pod, "readinessProbe"))).ok).toBe(true);
  });
});

describe("each runtime overlay (deploy/overlays)", () => {
  const overlays = readdirSync(repoPath("deploy/overlays")).sort();

  it.each(overlays)("%s: its agent pod reaches a containerd whose socket is at the overlay's path", async (overlay) => {
    const pushed = rendered.agent.spec.template.spec.containers[0]?.image ?? "";
    const colon = pushed.lastIndexOf(":");
    const agentImage = { name: pushed.slice(0, colon), tag: pushed.slice(colon + 1) };
    const collectorImage = { name: lab.ref("unused/collector").replace(/:latest$/, ""), tag: "0" };
    const { agent } = await renderDeploy({
      resource: `deploy/overlays/${overlay}`,
      images: { "imagedrift-agent": agentImage, "imagedrift-collector": collectorImage },
      token,
    });
    const socket = criSocketOf(agent);
    // A node of its own, its containerd listening where that runtime's socket is on a host.
    const node = await startNode({
      name: overlay,
      dir: join(lab.dir, overlay),
      registryHost: lab.registry.host,
      sandboxImage: lab.sandboxImage,
      registryCredentials: lab.registry.credentials,
      socket: labSocket(socket),
    });
    api.fake.put("nodes", nodeObject(overlay));
    const { pod } = await harness.start(agent, node);
    await waitForProbes(pod, 60_000);
    // It reports that node's runtime: the agent image, pulled there for its own pod, is on no other node's list.
    await waitFor(() => reports(overlay, pushed), {
      what: `the ${overlay} agent to report its node's images`,
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect(containerProcess(pod, "--cri-endpoint=").argv).toContain(`--cri-endpoint=unix://${socket}`);
    await node.teardown();
  });
});
