/**
 * A docker-registry serving HTTPS on 127.0.0.1 with a certificate from its own
 * CA (made with the `openssl` CLI), for the `ca` setting of the registries
 * config. The lab's registry speaks plain HTTP only, so this starts
 * /usr/bin/docker-registry with a config of its own, through the lab's daemon
 * helper (stopped by PID).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { makeServerCertificate } from "../lab/certificates.js";
import { freePort, LOOPBACK } from "../lab/ports.js";
import { type Daemon, startDaemon } from "../lab/process.js";
import { REGISTRY_BINARY } from "../lab/registry.js";

export interface TlsRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** PEM of the CA that signed the registry's certificate. */
  readonly caPem: string;
  readonly caFile: string;
  stop(): Promise<void>;
}

export async function startTlsRegistry(dir: string): Promise<TlsRegistry> {
  await mkdir(join(dir, "storage"), { recursive: true });
  const file = (name: string) => join(dir, name);
  const caPem = await makeServerCertificate(dir, {
    caName: "imagedrift-lab-ca",
    commonName: "127.0.0.1",
    altNames: ["IP:127.0.0.1"],
  });
  const port = await freePort();
  const host = `${LOOPBACK}:${port}`;
  const q = JSON.stringify;
  const config = [
    "version: 0.1",
    "log:",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${q(file("storage"))}`,
    "http:",
    `  addr: ${q(host)}`,
    "  tls:",
    `    certificate: ${q(file("server.crt"))}`,
    `    key: ${q(file("server.key"))}`,
  ];
  await writeFile(file("config.yml"), `${config.join("\n")}\n`);
  const daemon: Daemon = await startDaemon({
    name: `TLS registry on ${host}`,
    command: REGISTRY_BINARY,
    args: ["serve", file("config.yml")],
    logFile: file("registry.log"),
    ready: () => answers(`https://${host}/v2/`, caPem),
  });
  return { host, caPem, caFile: file("ca.crt"), stop: () => daemon.stop() };
}

function answers(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const call = request(url, { ca, timeout: 1_000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) > 0);
    });
    call.on("timeout", () => call.destroy(new Error("timeout")));
    call.on("error", reject);
    call.end();
  });
}
