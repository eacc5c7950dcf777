/** CaPublisher through the real @kubernetes/client-node against the FAKE API server (fake-kube-api.fake.ts). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@imagedrift/core";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeKubeApi } from "../kubernetes/fake-kube-api.fake.js";
import { CA_SECRET, CaPublisher } from "./ca-publisher.js";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const encoded = (text: string) => Buffer.from(text).toString("base64");

let api: FakeKubeApi;
let dir: string;
let client: CoreV1Api;
let lines: string[];
const publishers: CaPublisher[] = [];

beforeEach(async () => {
  api = await FakeKubeApi.start();
  dir = await mkdtemp(join(tmpdir(), "idl-ca-publisher-"));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(await api.writeKubeconfig(dir));
  client = kubeConfig.makeApiClient(CoreV1Api);
  lines = [];
});

afterEach(async () => {
  for (const publisher of publishers) publisher.stop();
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

function publisher(onAttempt?: (problem: string | null) => void): CaPublisher {
  const log = createLogger({ write: (line) => lines.push(line), level: "debug" });
  const made = new CaPublisher({
    api: client,
    namespace: "imagedrift",
    log,
    retry: { baseMs: 20, maxMs: 50 },
    onAttempt,
  });
  publishers.push(made);
  return made;
}

const shippedSecret = () =>
  api.put("secrets", {
    metadata: { name: CA_SECRET.name, namespace: "imagedrift", labels: { "app.kubernetes.io/part-of": "imagedrift" } },
    type: "Opaque",
  });

async function stored(): Promise<Record<string, string> | undefined> {
  const secret = await client.readNamespacedSecret({ name: CA_SECRET.name, namespace: "imagedrift" });
  return secret.data;
}

describe("CaPublisher", () => {
  it("writes ca.crt into the shipped empty Secret with a get and an update, keeping its labels", async () => {
    shippedSecret();
    const attempts: (string | null)[] = [];
    publisher((problem) => attempts.push(problem)).publish(CA);
    await vi.waitFor(() => expect(attempts).toEqual([null]));
    expect(api.requests.filter((r) => r.resource === "secrets").map((r) => r.verb)).toEqual(["get", "update"]);
    expect(await stored()).toEqual({ [CA_SECRET.key]: encoded(CA) });
    const secret = await client.readNamespacedSecret({ name: CA_SECRET.name, namespace: "imagedrift" });
    expect(secret.metadata?.labels).toEqual({ "app.kubernetes.io/part-of": "imagedrift" });
  });

  it("leaves a Secret that already holds the CA alone, and keeps other keys when it replaces one", async () => {
    shippedSecret();
    api.put("secrets", {
      metadata: { name: CA_SECRET.name, namespace: "imagedrift" },
      data: { [CA_SECRET.key]: encoded(CA), other: encoded("x") },
    });
    const attempts: (string | null)[] = [];
    const made = publisher((problem) => attempts.push(problem));
    made.publish(CA);
    await vi.waitFor(() => expect(attempts).toEqual([null]));
    expect(api.count("update", "secrets")).toBe(0);
    made.publish("NEW CA");
    await vi.waitFor(() => expect(attempts).toEqual([null, null]));
    expect(await stored()).toEqual({ [CA_SECRET.key]: encoded("NEW CA"), other: encoded("x") });
  });

  it("says why it cannot publish (no Secret; the API down), retries with backoff, and succeeds once it can", async () => {
    const attempts: (string | null)[] = [];
    publisher((problem) => attempts.push(problem)).publish(CA);
    await vi.waitFor(() => expect(attempts.length).toBeGreaterThanOrEqual(2));
    expect(attempts[0]).toMatch(/^HTTP 404: .*not found \(it ships empty in deploy\/base: apply the manifests\)$/);
    api.failing = true;
    const failures = attempts.length;
    await vi.waitFor(() => expect(attempts.slice(failures)).toContainEqual(expect.stringMatching(/^HTTP 503/)));
    shippedSecret();
    api.failing = false;
    await vi.waitFor(() => expect(attempts.at(-1)).toBeNull());
    expect(await stored()).toEqual({ [CA_SECRET.key]: encoded(CA) });
    const warnings = lines.filter((l) => l.includes("cannot publish the CA certificate"));
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.join("\n")).not.toContain("fake-token");
  });

  it("reads again after a conflict (someone changed the Secret between its get and its update)", async () => {
    shippedSecret();
    const original = client.readNamespacedSecret.bind(client);
    let raced = false;
    const racing = Object.assign(Object.create(client) as CoreV1Api, {
      readNamespacedSecret: async (request: { name: string; namespace: string }) => {
        const read = await original(request);
        if (!raced) {
          raced = true;
          api.put("secrets", {
            metadata: { name: CA_SECRET.name, namespace: "imagedrift" },
            data: { x: encoded("y") },
          });
        }
        return read;
      },
    });
    const attempts: (string | null)[] = [];
    const log = createLogger({ write: (line) => lines.push(line), level: "debug" });
    const made = new CaPublisher({
      api: racing,
      namespace: "imagedrift",
      log,
      retry: { baseMs: 10, maxMs: 20 },
      onAttempt: (problem) => attempts.push(problem),
    });
    publishers.push(made);
    made.publish(CA);
    await vi.waitFor(() => expect(attempts.at(-1)).toBeNull());
    expect(attempts[0]).toMatch(/^HTTP 409/);
    expect(await stored()).toEqual({ x: encoded("y"), [CA_SECRET.key]: encoded(CA) });
  });
});
