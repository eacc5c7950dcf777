/**
 * Agent ↔ collector over TLS with a self-signed CA (openssl), on one real
 * containerd node: with the CA the node reports; without it nothing connects.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { nodes } from "./api.js";

let lab: Lab;
let dir: string;
let collector: Collector;
const agents: Agent[] = [];

function makeCertificates(into: string): { ca: string; cert: string; key: string } {
  const path = (name: string) => join(into, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=imagedrift test CA",
    "-keyout",
    path("ca.key"),
    "-out",
    path("ca.pem"),
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    path("server.key"),
    "-out",
    path("server.csr"),
  );
  return { ca: path("ca.pem"), cert: path("server.pem"), key: path("server.key") };
}

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1"] });
  dir = await mkdtemp("/tmp/idl-tls-");
  const files = makeCertificates(dir);
  await writeFile(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  execFileSync(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      join(dir, "server.csr"),
      "-CA",
      files.ca,
      "-CAkey",
      join(dir, "ca.key"),
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      join(dir, "san.ext"),
      "-out",
      files.cert,
    ],
    { stdio: "pipe" },
  );
  collector = await startCollector({
    dir,
    token: "tls-token",
    extraArgs: ["--tls-cert", files.cert, "--tls-key", files.key],
  });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await collector?.stop();
  await lab?.stop();
});

it("an agent without the CA cannot report; with it, the node reports over TLS", async () => {
  const node = lab.node("n1");
  const plain = await startAgent({
    dir,
    node: "plain",
    endpoint: node.endpoint,
    collector: collector.grpcAddress,
    tokenFile: collector.tokenFile,
  });
  agents.push(plain);
  await waitFor(async () => (await readFile(plain.daemon.logFile, "utf8")).includes("collector connection failed"), {
    what: "the plaintext agent to fail",
    timeoutMs: 15_000,
  });
  const secure = await startAgent({
    dir,
    node: "n1",
    endpoint: node.endpoint,
    collector: collector.grpcAddress,
    tokenFile: collector.tokenFile,
    extraArgs: ["--tls-ca", join(dir, "ca.pem")],
  });
  agents.push(secure);
  await waitFor(
    async () => (await nodes(collector.url)).some((n) => n.name === "n1" && n.runtime.name === "containerd"),
    {
      what: "n1 to report over TLS",
      timeoutMs: 20_000,
    },
  );
  expect((await nodes(collector.url)).map((n) => n.name)).toEqual(["n1"]);
});
