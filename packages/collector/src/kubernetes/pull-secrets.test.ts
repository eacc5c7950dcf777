/**
 * The pull-secrets credential source against the FAKE Kubernetes API
 * (fake-kube-api.fake.ts) through the real client: which Secret a pod's
 * image gets (its own imagePullSecrets, its service account's, most specific
 * key, a deterministic pick across namespaces), reads by name only, the
 * cache, and Secrets that cannot be used (named in one warning, never their content).
 */
import { createLogger, parseImageRef } from "@imagedrift/core";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { FakeKubeApi, type KubeObject } from "./fake-kube-api.fake.js";
import { nodeObject, podObject } from "./kube-objects.fake.js";
import { KubernetesWatcher } from "./kubernetes-watcher.js";
import { apiOwnerReader } from "./owner-resolver.js";
import { apiPullSecretReader, PullSecretCredentials } from "./pull-secrets.js";

const CANARY = "canary-pw-81d4c2";
const REGISTRY = "registry.example.com";
const IMAGE = `${REGISTRY}/team/app:1`;
const b64 = (text: string) => Buffer.from(text).toString("base64");

function pullSecret(namespace: string, name: string, auths: Record<string, [string, string]>): KubeObject {
  const entries = Object.fromEntries(Object.entries(auths).map(([k, [u, p]]) => [k, { auth: b64(`${u}:${p}`) }]));
  return {
    metadata: { name, namespace },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": b64(JSON.stringify({ auths: entries })) },
  };
}

function pod(namespace: string, name: string, extra: { secrets?: string[]; account?: string; image?: string } = {}) {
  const object = podObject({ namespace, name, containers: [{ image: extra.image ?? IMAGE }] });
  const spec = object.spec as Record<string, unknown>;
  if (extra.account) spec.serviceAccountName = extra.account;
  if (extra.secrets) spec.imagePullSecrets = extra.secrets.map((s) => ({ name: s }));
  return object;
}

const running: { api: FakeKubeApi; watcher: KubernetesWatcher }[] = [];
afterEach(async () => {
  for (const { api, watcher } of running.splice(0)) {
    await watcher.stop();
    await api.close();
  }
});

async function setup(seed: (api: FakeKubeApi) => void) {
  const api = await FakeKubeApi.start();
  api.put("nodes", nodeObject("n1"));
  seed(api);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(api.kubeconfig());
  const logs: string[] = [];
  const log = createLogger({ write: (line) => logs.push(line), level: "debug" });
  const owners = apiOwnerReader(kubeConfig);
  const watcher = new KubernetesWatcher({
    kubeConfig,
    owners,
    log,
    pullSecrets: true,
    backoff: { baseMs: 20, maxMs: 100 },
  });
  running.push({ api, watcher });
  watcher.start();
  let now = 0;
  const source = new PullSecretCredentials({
    reader: apiPullSecretReader(kubeConfig),
    podsUsing: (repository) => watcher.podsUsing(repository),
    ready: () => watcher.whenSynced(),
    log,
    ttlMs: 60_000,
    now: () => now,
  });
  const lookup = async (image = IMAGE) => {
    const found = await source.credentialsFor(parseImageRef(image));
    return found && { source: found.source, username: found.credentials.username };
  };
  return { api, logs, lookup, advance: (ms: number) => (now += ms) };
}

describe("PullSecretCredentials", () => {
  it("uses the pod's service account's imagePullSecrets, read by name only", async () => {
    const { api, lookup, logs } = await setup((api) => {
      api.put("secrets", pullSecret("shop", "regcred", { [`https://${REGISTRY}`]: ["robot", CANARY] }));
      api.put("serviceaccounts", {
        metadata: { name: "builder", namespace: "shop" },
        imagePullSecrets: [{ name: "regcred" }],
      });
      api.put("pods", pod("shop", "web-1", { account: "builder" }));
    });
    expect(await lookup()).toEqual({ source: "pull secret shop/regcred", username: "robot" });
    expect(await lookup(`${REGISTRY}/other/app:1`)).toBeUndefined();
    expect(api.count("get", "secrets")).toBe(1);
    expect(api.count("get", "serviceaccounts")).toBe(1);
    for (const verb of ["list", "watch"] as const) {
      expect(api.count(verb, "secrets")).toBe(0);
      expect(api.count(verb, "serviceaccounts")).toBe(0);
    }
    expect(logs.join("")).not.toContain(CANARY);
  });

  it("keeps what it read for the TTL, then reads again (a rotated Secret is used)", async () => {
    const { api, lookup, advance } = await setup((api) => {
      api.put("secrets", pullSecret("shop", "regcred", { [REGISTRY]: ["robot", CANARY] }));
      api.put("pods", pod("shop", "web-1", { secrets: ["regcred"] }));
    });
    expect(await lookup()).toMatchObject({ username: "robot" });
    api.put("secrets", pullSecret("shop", "regcred", { [REGISTRY]: ["robot-2", CANARY] }));
    advance(59_000);
    expect(await lookup()).toMatchObject({ username: "robot" });
    expect(api.count("get", "secrets")).toBe(1);
    advance(2_000);
    expect(await lookup()).toMatchObject({ username: "robot-2" });
    expect(api.count("get", "secrets")).toBe(2);
  });

  it("picks the most specific key, then the first pod by namespace and name", async () => {
    const { lookup } = await setup((api) => {
      api.put("secrets", pullSecret("b-ns", "host-only", { [REGISTRY]: ["b-host", "x"] }));
      api.put("secrets", pullSecret("c-ns", "team", { [`${REGISTRY}/team`]: ["c-team", "x"] }));
      api.put("secrets", pullSecret("a-ns", "host-only", { [REGISTRY]: ["a-host", "x"] }));
      api.put("pods", pod("b-ns", "p", { secrets: ["host-only"] }));
      api.put("pods", pod("c-ns", "p", { secrets: ["team"] }));
      api.put("pods", pod("a-ns", "p", { secrets: ["host-only"] }));
    });
    expect(await lookup()).toEqual({ source: "pull secret c-ns/team", username: "c-team" });
    expect(await lookup(`${REGISTRY}/team-x/app:1`)).toBeUndefined();
  });

  it("leaves out Secrets that cannot be used, naming each once, never their content", async () => {
    const { api, lookup, logs, advance } = await setup((api) => {
      api.put("secrets", {
        metadata: { name: "opaque", namespace: "shop" },
        type: "Opaque",
        data: { ".dockerconfigjson": b64(CANARY) },
      });
      api.put("secrets", pullSecret("shop", "good", { [REGISTRY]: ["robot", CANARY] }));
      api.put("pods", pod("shop", "web-1", { secrets: ["missing", "opaque", "good"] }));
    });
    expect(await lookup()).toEqual({ source: "pull secret shop/good", username: "robot" });
    advance(61_000);
    expect(await lookup()).toEqual({ source: "pull secret shop/good", username: "robot" });
    expect(api.count("get", "secrets")).toBe(6);
    const warnings = logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.level === "warn");
    expect(warnings.map((w) => [w.object, w.problem])).toEqual([
      ["secret shop/missing", "secret shop/missing not found"],
      [
        "secret shop/opaque",
        'secret shop/opaque has type "Opaque", not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg',
      ],
    ]);
    expect(logs.join("")).not.toContain(CANARY);
  });

  it("finds no credentials for an image no pod uses", async () => {
    const { lookup } = await setup((api) => {
      api.put("secrets", pullSecret("shop", "regcred", { [REGISTRY]: ["robot", CANARY] }));
      api.put("pods", pod("shop", "web-1", { secrets: ["regcred"], image: `${REGISTRY}/team/other:1` }));
    });
    expect(await lookup(`${REGISTRY}/team/other:2`)).toMatchObject({ username: "robot" });
    expect(await lookup()).toBeUndefined();
  });
});
