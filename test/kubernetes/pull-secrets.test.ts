/**
 * The cluster's pull secrets end to end: the BUILT collector with
 * `--kubernetes on --kubernetes-pull-secrets`, the FAKE Kubernetes API
 * (packages/collector/src/kubernetes/fake-kube-api.fake.ts) serving pods on
 * the lab node n1 whose service accounts name `kubernetes.io/dockerconfigjson`
 * Secrets, the lab's real docker-registry with htpasswd auth, and a real
 * agent on a real containerd that has no credentials of its own:
 *
 * - `shop`: the Secret holds the right password: a prepull of the pod's tag
 *   pulls it onto n1 (the collector hands the Secret's credential to the
 *   agent) and the tag shows resolved;
 * - `bad`: the Secret holds a wrong password: the held tag is unresolved with
 *   the 401 reason naming the Secret, and a prepull fails at once, no retries;
 * - a collector without the flag leaves the private tag unresolved with the
 *   auth reason.
 *
 * Secrets are only read with get by name; the password appears in no log,
 * database file or API answer.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKubeApi, type KubeObject } from "../../packages/collector/src/kubernetes/fake-kube-api.fake.js";
import { nodeObject, podObject } from "../../packages/collector/src/kubernetes/kube-objects.fake.js";
import { waitForTag } from "../collector/api.js";
import { createJob, finishedJob } from "../jobs/jobs-api.js";
import { type Lab, startLab } from "../lab/index.js";
import { COLLECTOR_BIN } from "../scenario/processes.js";
import { type ReportingPair, startReportingPair } from "../scenario/reporting-pair.js";

const TOKEN = "pull-secrets-token-4c1";
const CANARY = "canary-pull-secret-7e29b";
const WRONG = `${CANARY}-wrong`;

let dir: string;
let lab: Lab;
let api: FakeKubeApi;
let kubeconfig: string;
const digests: Record<string, string> = {};
const running: ReportingPair[] = [];

const b64 = (text: string) => Buffer.from(text).toString("base64");

function dockerConfigSecret(namespace: string, name: string, password: string): KubeObject {
  const auths = { [`http://${lab.registry.host}`]: { auth: b64(`robot:${password}`) } };
  return {
    metadata: { name, namespace },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": b64(JSON.stringify({ auths })) },
  };
}

/** A pod on n1 running `image` as service account `builder`, whose imagePullSecrets name `secret`. */
function seedNamespace(namespace: string, secret: KubeObject, image: string): void {
  api.put("secrets", secret);
  api.put("serviceaccounts", {
    metadata: { name: "builder", namespace },
    imagePullSecrets: [{ name: secret.metadata.name }],
  });
  const pod = podObject({ namespace, name: "app-1", node: "n1", containers: [{ image, imagePullPolicy: "Always" }] });
  (pod.spec as Record<string, unknown>).serviceAccountName = "builder";
  api.put("pods", pod);
}

async function startPair(name: string, pullSecrets: boolean): Promise<ReportingPair> {
  const pair = await startReportingPair({
    dir: await mkdtemp(join(dir, `${name}-`)),
    lab,
    token: TOKEN,
    env: { ...process.env, KUBECONFIG: kubeconfig, KUBERNETES_SERVICE_HOST: "" },
    collectorArgs: [
      "--kubernetes",
      "on",
      ...(pullSecrets ? ["--kubernetes-pull-secrets"] : []),
      "--log-level",
      "debug",
    ],
    what: `n1 reporting to the ${name} collector`,
  });
  running.push(pair);
  return pair;
}

let good: ReportingPair;

beforeAll(async () => {
  dir = await mkdtemp("/tmp/idl-pullsecrets-");
  lab = await startLab({
    nodes: ["n1"],
    registryAuth: { type: "htpasswd", users: [{ username: "robot", password: CANARY }] },
    nodeCredentials: false,
  });
  for (const repoTag of ["private/app:1", "private/app:2", "bad/app:1", "bad/app:2"]) {
    digests[repoTag] = await lab.buildAndPush(repoTag, { salt: `pull secrets ${repoTag}` });
  }
  api = await FakeKubeApi.start();
  kubeconfig = await api.writeKubeconfig(dir);
  api.put("nodes", nodeObject("n1"));
  seedNamespace("shop", dockerConfigSecret("shop", "regcred", CANARY), lab.ref("private/app:1"));
  seedNamespace("bad", dockerConfigSecret("bad", "stale", WRONG), lab.ref("bad/app:1"));
  good = await startPair("with-flag", true);
}, 120_000);

afterAll(async () => {
  for (const pair of running) await pair.stop();
  await api?.close();
  await lab?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("--kubernetes-pull-secrets", () => {
  it("prepulls the pod's private tag onto n1 with its service account's Secret, then shows it resolved", async () => {
    const reference = lab.ref("private/app:1");
    // The node has no credentials of its own: a plain CRI pull is refused.
    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    await expect(cri.pullImage(reference)).rejects.toThrow(/401|unauthorized|authorization/i);
    const created = await createJob(good.collector.url, TOKEN, { type: "prepull", images: [reference] });
    const job = await finishedJob(good.collector.url, created.id);
    expect(job.state, JSON.stringify(job.nodes)).toBe("succeeded");
    expect(job.nodes[0]?.pulled?.[0]).toMatchObject({
      ref: reference,
      digest: digests["private/app:1"],
      verified: true,
    });
    expect(await cri.imageStatus(reference)).not.toBeNull();
    cri.close();
    const view = await waitForTag(good.collector.url, reference, (t) => t.resolvedAt !== null);
    expect(view).toMatchObject({ status: "current", registryDigest: digests["private/app:1"], resolveError: null });
    // Read by name only: never a list or a watch of Secrets or service accounts.
    expect(api.count("get", "secrets")).toBeGreaterThan(0);
    for (const verb of ["list", "watch"] as const) {
      expect(api.count(verb, "secrets")).toBe(0);
      expect(api.count(verb, "serviceaccounts")).toBe(0);
    }
  });

  it("a Secret with a wrong password: the held tag is unresolved with the 401 reason naming the Secret", async () => {
    const reference = lab.ref("bad/app:1");
    // Put the tag on n1 with the right password, straight over CRI: the collector must still not resolve it.
    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    await cri.pullImage(reference, {
      auth: { username: "robot", password: CANARY, serverAddress: `https://${lab.registry.host}` },
    });
    cri.close();
    const view = await waitForTag(good.collector.url, reference, (t) => t.resolveError !== null);
    expect(view.status).toBe("unresolved");
    expect(view.resolveError).toBe(
      `${reference}: registry ${lab.registry.host} answered 401 (UNAUTHORIZED): the credentials of pull secret bad/stale were not accepted`,
    );
  });

  it("a Secret with a wrong password: a prepull fails at once with that reason, no retries", async () => {
    const reference = lab.ref("bad/app:2");
    const created = await createJob(good.collector.url, TOKEN, { type: "prepull", images: [reference] });
    const job = await finishedJob(good.collector.url, created.id);
    expect(job.state).toBe("failed");
    expect(job.nodes.map((n) => [n.state, n.attempts])).toEqual([["failed", 0]]);
    expect(job.nodes[0]?.message).toContain("the credentials of pull secret bad/stale were not accepted");
  });
});

describe("without --kubernetes-pull-secrets", () => {
  it("leaves the private tag unresolved with the auth reason", async () => {
    const plain = await startPair("without-flag", false);
    const reference = lab.ref("private/app:1");
    const view = await waitForTag(plain.collector.url, reference, (t) => t.resolveError !== null);
    expect(view.status).toBe("unresolved");
    expect(view.resolveError).toContain("answered 401 (UNAUTHORIZED): it needs credentials and none are configured");
  });
});

describe("--kubernetes-pull-secrets without the Kubernetes API", () => {
  it("stops the collector with a clear error (auto found no cluster)", () => {
    const env = { ...process.env, KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "" };
    const run = spawnSync(process.execPath, [COLLECTOR_BIN, "--kubernetes-pull-secrets", "--db", ":memory:"], {
      env,
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      "--kubernetes-pull-secrets needs the Kubernetes API: --kubernetes auto found neither KUBERNETES_SERVICE_HOST nor KUBECONFIG",
    );
  });
});

describe("the pull secrets' password", () => {
  it("appears in no log, database file or API answer", async () => {
    const texts: string[] = [];
    for (const { collector } of running) {
      for (const path of ["/api/v1/jobs", "/api/v1/tags", "/api/v1/findings", "/api/v1/registries", "/metrics"]) {
        texts.push(await (await fetch(`${collector.url}${path}`)).text());
      }
      const home = collector.db.slice(0, collector.db.lastIndexOf("/"));
      for (const file of (await readdir(home)).filter((f) => /\.log$|\.db/.test(f))) {
        texts.push((await readFile(join(home, file))).toString("latin1"));
      }
    }
    const all = texts.join("\n");
    expect(all).toContain("pull secret bad/stale");
    for (const secret of [CANARY, WRONG, b64(`robot:${CANARY}`), b64(`robot:${WRONG}`)]) {
      expect(all.includes(secret), `${secret} leaked`).toBe(false);
    }
  });
});
