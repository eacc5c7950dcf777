/**
 * The manifests' command lines run the built programs, in the lab: the
 * collector with the StatefulSet's args in a pod's environment, an agent with
 * the DaemonSet's args and env on a real containerd node reporting to it, and
 * the Job templates' one-shot commands against that node. Only what a cluster
 * provides is replaced: addresses (loopback ports picked at run time), the
 * volumes' paths, and the socket; the collector's TLS certificate also names
 * 127.0.0.1, the address the agent dials here instead of the Service's name. Needs the agent and collector built (the
 * root `npm test` builds).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN, agentEnv } from "../agent/agent-process.js";
import {
  type ContainerdNode,
  type Daemon,
  freePort,
  type Lab,
  LOOPBACK,
  startDaemon,
  startLab,
  waitFor,
} from "../lab/index.js";
import { COLLECTOR_BIN } from "../scenario/processes.js";
import { parseArgs, withFlag } from "./flags.js";
import {
  type Container,
  find,
  type K8sObject,
  kustomize,
  onlyContainer,
  PREPULL_JOB,
  PRUNE_JOB,
  readJobTemplate,
  type Workload,
} from "./manifests.js";
import { NODE } from "./program-config.js";

/** Set by the kubelet in every pod, whatever enableServiceLinks says. */
const POD_ENV = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env, timeout: 60_000, killSignal: "SIGKILL", encoding: "utf8" },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

const probePath = (container: Container, probe: "livenessProbe" | "readinessProbe" | "startupProbe") => {
  const path = container[probe]?.httpGet?.path;
  if (!path) throw new Error(`container ${container.name} has no HTTP ${probe}`);
  return path;
};

/** The Job's args with its placeholders filled and the socket of the lab node. */
function jobArgs(file: string, node: ContainerdNode, ref?: string): string[] {
  const args = withFlag(onlyContainer(readJobTemplate(file)).args ?? [], "cri-endpoint", node.endpoint);
  return args.map((arg) => (arg === "REF" && ref ? ref : arg));
}

describe("the manifests' command lines, run by the built programs", () => {
  let lab: Lab;
  let node: ContainerdNode;
  let cri: CriClient;
  let agentSpec: Container;
  let collectorSpec: Container;
  let collector: Daemon | undefined;
  let agent: Daemon | undefined;
  let collectorUrl: string;
  let grpcAddress: string;
  let tokenFile: string;

  beforeAll(async () => {
    const objects = await kustomize("deploy");
    agentSpec = onlyContainer(find<Workload>(objects, "DaemonSet", "imagedrift-agent"));
    collectorSpec = onlyContainer(find<Workload>(objects, "StatefulSet", "imagedrift-collector"));
    lab = await startLab({ nodes: 1 });
    node = lab.node("n1");
    cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
    mkdirSync(join(lab.dir, "secret"));
    tokenFile = join(lab.dir, "secret", "token");
    writeFileSync(tokenFile, `${randomBytes(32).toString("hex")}\n`, { mode: 0o400 });
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    cri?.close();
    await lab?.stop();
  });

  it("the collector starts with the StatefulSet's args in a pod's environment and passes its probes", async () => {
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const dataDir = join(lab.dir, "data");
    mkdirSync(dataDir);
    const db = parseArgs(collectorSpec.args ?? []).flags.db as string;
    let args = withFlag(collectorSpec.args ?? [], "db", join(dataDir, basename(db)));
    args = withFlag(args, "listen", `${LOOPBACK}:${httpPort}`);
    args = withFlag(args, "grpc-listen", `${LOOPBACK}:${grpcPort}`);
    args = withFlag(args, "token-file", tokenFile);
    args = withFlag(args, "tls-dir", join(dataDir, "tls"));
    args = [...args, `--tls-names=${LOOPBACK}`];
    // No Kubernetes API server here: the pod's --kubernetes=auto is covered by the next test and test/kubernetes.
    args = withFlag(args, "kubernetes", "off");
    collectorUrl = `http://${LOOPBACK}:${httpPort}`;
    grpcAddress = `${LOOPBACK}:${grpcPort}`;
    collector = await startDaemon({
      name: "collector with the StatefulSet's args",
      command: process.execPath,
      args: [COLLECTOR_BIN, ...args],
      logFile: join(lab.dir, "collector.log"),
      env: agentEnv(POD_ENV),
      ready: async () => (await fetch(`${collectorUrl}${probePath(collectorSpec, "readinessProbe")}`)).ok,
    });
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"] as const) {
      expect((await fetch(`${collectorUrl}${probePath(collectorSpec, probe)}`)).status, probe).toBe(200);
    }
    expect(await (await fetch(`${collectorUrl}/metrics`)).text()).toContain("imagedrift_nodes");
  });

  it("in a pod, --kubernetes=auto turns the API on: without a usable service-account config it refuses to start, naming --kubernetes", async () => {
    let args = withFlag(collectorSpec.args ?? [], "kubernetes", "auto");
    args = withFlag(args, "db", join(lab.dir, "auto.db"));
    args = withFlag(withFlag(args, "listen", `${LOOPBACK}:0`), "grpc-listen", `${LOOPBACK}:0`);
    args = withFlag(args, "token-file", tokenFile);
    const result = await run(COLLECTOR_BIN, args, agentEnv(POD_ENV));
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("--kubernetes");
  });

  it("with the token the shipped Secret holds, the collector and the agent refuse to start and say how to make one", async () => {
    const secret = find<K8sObject & { stringData: { token: string } }>(
      await kustomize("deploy"),
      "Secret",
      "imagedrift-token",
    );
    const placeholderFile = join(lab.dir, "secret", "placeholder");
    // As the kubelet projects a Secret key: the value as it is.
    writeFileSync(placeholderFile, secret.stringData.token);
    let args = withFlag(collectorSpec.args ?? [], "token-file", placeholderFile);
    args = withFlag(args, "db", join(lab.dir, "placeholder.db"));
    args = withFlag(withFlag(args, "listen", `${LOOPBACK}:0`), "grpc-listen", `${LOOPBACK}:0`);
    args = withFlag(args, "kubernetes", "off");
    const collectorRun = await run(COLLECTOR_BIN, args, agentEnv(POD_ENV));
    expect(collectorRun.code, collectorRun.stderr).toBe(2);
    expect(collectorRun.stderr).toContain("--token-file");
    expect(collectorRun.stderr).toContain("openssl rand -hex 32");
    expect(existsSync(join(lab.dir, "placeholder.db")), "refused before opening its database").toBe(false);

    let agentArgs = withFlag(agentSpec.args ?? [], "cri-endpoint", node.endpoint);
    agentArgs = withFlag(withFlag(agentArgs, "token-file", placeholderFile), "listen", `${LOOPBACK}:0`);
    const agentRun = await run(AGENT_BIN, agentArgs, agentEnv({ ...POD_ENV, NODE_NAME: NODE }));
    expect(agentRun.code, agentRun.stderr).toBe(2);
    expect(agentRun.stderr).toContain("openssl rand -hex 32");
  });

  it("an agent with the DaemonSet's args and env reports its node to that collector", async () => {
    expect(collector, "the collector test runs first").toBeDefined();
    const port = await freePort();
    let args = withFlag(agentSpec.args ?? [], "cri-endpoint", node.endpoint);
    args = withFlag(args, "collector", grpcAddress);
    args = withFlag(args, "token-file", tokenFile);
    args = withFlag(args, "listen", `${LOOPBACK}:${port}`);
    // The CA as the kubelet projects Secret imagedrift-collector-ca's key ca.crt (no Kubernetes API here to publish it).
    const secretDir = join(lab.dir, "collector-ca");
    mkdirSync(secretDir);
    copyFileSync(join(lab.dir, "data", "tls", "ca.crt"), join(secretDir, "ca.crt"));
    args = withFlag(args, "tls-ca", join(secretDir, "ca.crt"));
    const url = `http://${LOOPBACK}:${port}`;
    agent = await startDaemon({
      name: "agent with the DaemonSet's args",
      command: process.execPath,
      args: [AGENT_BIN, ...args],
      logFile: join(lab.dir, "agent.log"),
      env: agentEnv({ ...POD_ENV, NODE_NAME: NODE }),
      ready: async () => (await fetch(`${url}${probePath(agentSpec, "readinessProbe")}`)).ok,
    });
    expect((await fetch(`${url}${probePath(agentSpec, "livenessProbe")}`)).status).toBe(200);
    const nodes = async () =>
      ((await (await fetch(`${collectorUrl}/api/v1/nodes`)).json()) as { items: { name: string; state: string }[] })
        .items;
    await waitFor(async () => (await nodes()).some((n) => n.name === NODE && n.state === "reporting"), {
      what: `the collector to list ${NODE} as reporting`,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
  });

  it("the prepull Job's command pulls REF onto its node", async () => {
    const ref = lab.ref("deploy/prepull:1");
    const digest = await lab.buildAndPush("deploy/prepull:1", { salt: "deploy-prepull" });
    const result = await run(AGENT_BIN, jobArgs(PREPULL_JOB, node, ref), agentEnv({ NODE_NAME: NODE }));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      node: NODE,
      state: "succeeded",
      pulled: [{ ref, digest, alreadyPresent: false }],
    });
    expect(await cri.imageStatus(ref)).not.toBeNull();
  });

  it("the prune Job's command, a dry run, keeps the unused image as a possible only copy (no registry asked), lists it with --allow-unrecoverable, and removes nothing", async () => {
    const ref = lab.ref("deploy/unused:1");
    await lab.buildAndPush("deploy/unused:1", { salt: "deploy-unused" });
    const id = await cri.pullImage(ref);
    const before = (await cri.listImages()).map((i) => i.id).sort();
    type Summary = {
      state: string;
      dryRun?: boolean;
      removed?: { id: string }[];
      skipped?: { id: string; reason: string }[];
    };
    const args = jobArgs(PRUNE_JOB, node);
    const kept = await run(AGENT_BIN, args, agentEnv({ NODE_NAME: NODE }));
    expect(kept.code, kept.stderr).toBe(0);
    const keptSummary = JSON.parse(kept.stdout) as Summary;
    expect(keptSummary).toMatchObject({ state: "succeeded", dryRun: true });
    expect(keptSummary.removed?.map((r) => r.id)).not.toContain(id);
    expect(keptSummary.skipped?.find((s) => s.id === id)?.reason).toMatch(/^maybe the only copy/);
    const listed = await run(AGENT_BIN, [...args, "--allow-unrecoverable"], agentEnv({ NODE_NAME: NODE }));
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Summary).removed?.map((r) => r.id)).toContain(id);
    expect((await cri.listImages()).map((i) => i.id).sort()).toEqual(before);
  });
});
