/**
 * The collector's self-signed TLS mode as deployed (deploy/README.md#tls-between-agents-and-the-collector),
 * with the built programs, the FAKE Kubernetes API
 * (packages/collector/src/kubernetes/fake-kube-api.fake.ts) holding the
 * shipped empty Secret, and agents on one real containerd node: an agent
 * started before its CA file exists waits and says so; the collector
 * publishes its CA into the Secret; once the file appears (as the kubelet
 * projects it) the agent reports over TLS. Agents trusting another CA, or
 * dialling in plaintext, are refused, and the token never crosses the wire
 * in clear.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { connect as http2Connect } from "node:http2";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKubeApi } from "../../packages/collector/src/kubernetes/fake-kube-api.fake.js";
import { freePort, type Lab, LOOPBACK, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { nodes } from "./api.js";

const NAMESPACE = "imagedrift";
const SECRET = "imagedrift-collector-ca";
const TOKEN = "self-signed-tls-token-7f3c91d2";

let lab: Lab;
let dir: string;
let api: FakeKubeApi;
let kubeconfig: string;
let grpcPort: number;
let collector: Collector | undefined;
/** Where the kubelet would project the Secret's ca.crt for the agents. */
let caFile: string;
let tokenFile: string;
const agents: Agent[] = [];
const servers: Server[] = [];

/** The Secret's ca.crt as the fake API holds it, or undefined while the collector has not published it. */
async function publishedCa(): Promise<string | undefined> {
  const response = await fetch(`${api.url}/api/v1/namespaces/${NAMESPACE}/secrets/${SECRET}`);
  const secret = (await response.json()) as { data?: Record<string, string> };
  const encoded = secret.data?.["ca.crt"];
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
}

async function agent(node: string, options: { extraArgs: string[]; collector?: string }): Promise<Agent> {
  const started = await startAgent({
    dir,
    node,
    endpoint: lab.node("n1").endpoint,
    collector: options.collector ?? `${LOOPBACK}:${grpcPort}`,
    tokenFile,
    extraArgs: options.extraArgs,
  });
  agents.push(started);
  return started;
}

const logOf = (a: Agent) => readFile(a.daemon.logFile, "utf8");
const listed = async () => (await nodes(collector?.url ?? "")).map((n) => n.name).sort();

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1"] });
  dir = await mkdtemp("/tmp/idl-self-signed-");
  api = await FakeKubeApi.start();
  // The Secret as deploy/base ships it: empty.
  api.put("secrets", { metadata: { name: SECRET, namespace: NAMESPACE }, type: "Opaque" });
  // The kubeconfig's context names the namespace, as a pod's service account mount would.
  kubeconfig = join(dir, "kubeconfig");
  const context = "context: { cluster: fake, user: fake }";
  await writeFile(
    kubeconfig,
    api.kubeconfig().replace(context, `context: { cluster: fake, user: fake, namespace: ${NAMESPACE} }`),
  );
  await mkdir(join(dir, "secret"));
  caFile = join(dir, "secret", "ca.crt");
  tokenFile = join(dir, "agent-token");
  await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  grpcPort = await freePort();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  for (const server of servers) server.close();
  await collector?.stop();
  await api?.close();
  await lab?.stop();
});

describe("--tls-self-signed with the Kubernetes API, as deployed", () => {
  it("an agent started before the CA exists waits, says so once in its log and in /readyz, and never dials in plaintext", async () => {
    const early = await agent("early", { extraArgs: ["--tls-ca", caFile] });
    const waiting = `waiting for the collector's CA at ${caFile}`;
    await waitFor(async () => (await (await fetch(`${early.url}/readyz`)).text()).includes(waiting), {
      what: "the agent's /readyz to say it waits for the CA",
      timeoutMs: 15_000,
    });
    // It looks again every 2 s: after a few looks the log still says it once, and no dial was tried.
    await waitFor(async () => (await logOf(early)).includes("waiting for the collector's CA"), {
      what: "the log line",
    });
    const text = await logOf(early);
    expect(text.split("\n").filter((l) => l.includes(waiting))).toHaveLength(1);
    expect(text).not.toContain("collector connection failed");
  });

  it("the collector publishes its CA into the shipped Secret; the waiting agent reports once the file appears", async () => {
    collector = await startCollector({
      dir,
      token: TOKEN,
      grpcPort,
      extraArgs: ["--kubernetes", "on", "--tls-self-signed", "--tls-names", LOOPBACK],
      env: { ...process.env, KUBECONFIG: kubeconfig, KUBERNETES_SERVICE_HOST: "" },
    });
    const ca = await waitFor(publishedCa, { what: "ca.crt in the Secret", timeoutMs: 20_000 });
    expect(ca).toBe(await readFile(join(dir, "tls", "ca.crt"), "utf8"));
    expect(ca).not.toContain("PRIVATE KEY");
    // One read and one update of the existing Secret: no create, no other Secret touched.
    expect(api.count("update", "secrets")).toBe(1);
    expect(api.requests.filter((r) => r.resource === "secrets" && r.verb !== "get" && r.verb !== "update")).toEqual([]);
    // As the kubelet syncs the Secret's update into the agents' volume.
    await writeFile(caFile, ca);
    await waitFor(async () => (await listed()).includes("early"), {
      what: "the early agent to report",
      timeoutMs: 30_000,
    });
    const early = agents[0];
    expect(early && (await (await fetch(`${early.url}/readyz`)).text())).not.toContain(
      "waiting for the collector's CA",
    );
  });

  it("an agent given the published ca.crt from the start connects over TLS and reports", async () => {
    await agent("n1", { extraArgs: ["--tls-ca", caFile] });
    await waitFor(async () => (await listed()).includes("n1"), { what: "n1 to report over TLS", timeoutMs: 20_000 });
  });

  it("an agent trusting another CA is refused at the handshake and never listed", async () => {
    const rogueCa = join(dir, "rogue-ca.pem");
    execFileSync("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"],
      ...["-subj", "/CN=imagedrift collector CA", "-keyout", join(dir, "rogue-ca.key"), "-out", rogueCa],
    ]);
    const rogue = await agent("rogue", { extraArgs: ["--tls-ca", rogueCa] });
    await waitFor(async () => (await logOf(rogue)).includes("collector connection failed"), {
      what: "the agent trusting another CA to fail",
      timeoutMs: 15_000,
    });
    expect(await listed()).not.toContain("rogue");
  });
});

describe("hardening: the token never crosses in clear", () => {
  it("the gRPC port refuses cleartext HTTP/2, and an agent without --tls-ca is never listed", async () => {
    const session = http2Connect(`http://${LOOPBACK}:${grpcPort}`);
    const outcome = await new Promise<string>((resolve) => {
      session.once("error", (error) => resolve(`error: ${error.message}`));
      session.once("remoteSettings", () => resolve("answered in cleartext"));
      session.once("close", () => resolve("closed"));
    });
    session.destroy();
    expect(outcome).not.toBe("answered in cleartext");
    const plain = await agent("plain", { extraArgs: [] });
    await waitFor(async () => (await logOf(plain)).includes("collector connection failed"), {
      what: "the plaintext agent to fail",
      timeoutMs: 15_000,
    });
    expect(await listed()).not.toContain("plain");
  });

  it("what an agent sends on the wire holds no token (captured through a proxy while it reports)", async () => {
    const captured: Buffer[] = [];
    const proxy = createServer((client) => {
      const upstream = createConnection({ host: LOOPBACK, port: grpcPort });
      client.on("data", (chunk: Buffer) => captured.push(chunk));
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    servers.push(proxy);
    await new Promise<void>((resolve) => proxy.listen(0, LOOPBACK, resolve));
    const port = (proxy.address() as { port: number }).port;
    await agent("proxied", { extraArgs: ["--tls-ca", caFile], collector: `${LOOPBACK}:${port}` });
    await waitFor(async () => (await listed()).includes("proxied"), {
      what: "the proxied agent to report",
      timeoutMs: 20_000,
    });
    const wire = Buffer.concat(captured);
    // A TLS handshake record first (0x16), then only encrypted records.
    expect(wire[0]).toBe(0x16);
    expect(wire.includes(TOKEN)).toBe(false);
    expect(wire.includes("Bearer")).toBe(false);
    expect(wire.includes("proxied")).toBe(false);
  });
});
