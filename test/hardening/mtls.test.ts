/**
 * Mutual TLS between agents and the collector (`--tls-client-ca` on the
 * collector, `--tls-cert/--tls-key` on the agent), with a self-signed CA made
 * by openssl, on one real containerd node: an agent presenting a certificate
 * signed by that CA reports; one without a certificate, or with one signed by
 * another CA, is refused at the handshake and its node never appears, even
 * though it holds the right token.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { nodes } from "../collector/api.js";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { AGENT_BIN, type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";

let lab: Lab;
let dir: string;
let collector: Collector;
const agents: Agent[] = [];

const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });

/** A CA (`<name>.pem`, `<name>.key`). */
function makeCa(name: string): void {
  const at = (f: string) => join(dir, f);
  openssl(
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=imagedrift ${name}`],
    ...["-keyout", at(`${name}.key`), "-out", at(`${name}.pem`)],
  );
}

/** A key and a certificate signed by `ca`, for a server (with SANs) or a client. */
async function makeCert(name: string, ca: string, usage: "server" | "client"): Promise<void> {
  const at = (f: string) => join(dir, f);
  openssl(
    ...["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`],
    ...["-keyout", at(`${name}.key`), "-out", at(`${name}.csr`)],
  );
  const ext =
    usage === "server"
      ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
      : "extendedKeyUsage=clientAuth\n";
  await writeFile(at(`${name}.ext`), ext);
  openssl(
    ...["x509", "-req", "-in", at(`${name}.csr`), "-CA", at(`${ca}.pem`), "-CAkey", at(`${ca}.key`)],
    ...["-CAcreateserial", "-days", "1", "-extfile", at(`${name}.ext`), "-out", at(`${name}.pem`)],
  );
}

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1"] });
  dir = await mkdtemp("/tmp/idl-mtls-");
  makeCa("ca");
  makeCa("rogue-ca");
  await makeCert("server", "ca", "server");
  await makeCert("agent", "ca", "client");
  await makeCert("rogue", "rogue-ca", "client");
  collector = await startCollector({
    dir,
    token: "mtls-token-4e2a",
    extraArgs: [
      ...["--tls-cert", join(dir, "server.pem"), "--tls-key", join(dir, "server.key")],
      ...["--tls-client-ca", join(dir, "ca.pem")],
    ],
  });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await collector?.stop();
  await lab?.stop();
});

async function agent(node: string, extraArgs: string[]): Promise<Agent> {
  const started = await startAgent({
    dir,
    node,
    endpoint: lab.node("n1").endpoint,
    collector: collector.grpcAddress,
    tokenFile: collector.tokenFile,
    extraArgs,
  });
  agents.push(started);
  return started;
}

const refused = async (a: Agent) =>
  waitFor(async () => (await readFile(a.daemon.logFile, "utf8")).includes("collector connection failed"), {
    what: `${a.daemon.name} to be refused`,
    timeoutMs: 20_000,
  });

it("an agent without a client certificate, or with one from another CA, is refused; with one, it reports", async () => {
  const ca = ["--tls-ca", join(dir, "ca.pem")];
  const noCert = await agent("nocert", ca);
  const rogue = await agent("rogue", [
    ...ca,
    "--tls-cert",
    join(dir, "rogue.pem"),
    "--tls-key",
    join(dir, "rogue.key"),
  ]);
  await refused(noCert);
  await refused(rogue);
  // TLS 1.3: the server's alert reaches the client that sent no certificate.
  expect(await readFile(noCert.daemon.logFile, "utf8")).toContain("certificate required");
  const good = await agent("n1", [...ca, "--tls-cert", join(dir, "agent.pem"), "--tls-key", join(dir, "agent.key")]);
  await waitFor(
    async () => (await nodes(collector.url)).some((n) => n.name === "n1" && n.runtime.name === "containerd"),
    {
      what: "n1 to report over mutual TLS",
      timeoutMs: 30_000,
    },
  );
  // The refused ones, which kept retrying all along, never made it in.
  expect((await nodes(collector.url)).map((n) => n.name)).toEqual(["n1"]);
  expect(await readFile(good.daemon.logFile, "utf8")).not.toContain("collector connection failed");
  const collectorLog = await readFile(collector.daemon.logFile, "utf8");
  expect(collectorLog).not.toContain('"node":"nocert"');
  expect(collectorLog).not.toContain('"node":"rogue"');
});

it("the agent's --tls-cert goes with --tls-key and --tls-ca: otherwise exit 2 naming them", () => {
  const run = spawnSync(
    process.execPath,
    [AGENT_BIN, "--node-name", "x", "--tls-cert", join(dir, "agent.pem"), "inventory"],
    { encoding: "utf8", timeout: 30_000 },
  );
  expect(run.status).toBe(2);
  expect(run.stderr).toContain("--tls-cert: --tls-cert and --tls-key go together");
  expect(run.stderr).toContain("--tls-cert: a client certificate needs --tls-ca (mutual TLS is TLS first)");
});
