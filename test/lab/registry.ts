/**
 * A real OCI registry (distribution 2.8, `/usr/bin/docker-registry`) on
 * 127.0.0.1:PORT with its storage in the lab dir and deletes enabled.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ImagedriftError } from "@imagedrift/core";
import { type Credentials, writeHtpasswd } from "./htpasswd.js";
import { freePort, LOOPBACK } from "./ports.js";
import { type Daemon, logTail, startDaemon } from "./process.js";
import { deleteManifest, headDigest, type RegistryAccess, registryRequest } from "./registry-api.js";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";

/** Token auth: the registry trusts tokens signed by a key in `rootCertBundle` (a test serves the token endpoint). */
export interface TokenAuth {
  type: "token";
  realm: string;
  service: string;
  issuer: string;
  /** PEM file with the certificate(s) whose keys sign the tokens. */
  rootCertBundle: string;
}

/** Basic auth against an htpasswd file the lab writes (bcrypt, see htpasswd.ts). */
export interface HtpasswdAuth {
  type: "htpasswd";
  users: readonly Credentials[];
  realm?: string;
}

export type RegistryAuth = TokenAuth | HtpasswdAuth;

/** A `notifications: endpoints:` entry: the registry posts its event envelope there on every push, pull and delete. */
export interface NotificationEndpoint {
  name: string;
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
}

export interface RegistryOptions {
  /** A folder of its own: config, storage and log go there. */
  dir: string;
  auth?: RegistryAuth;
  notifications?: readonly NotificationEndpoint[];
}

export interface Registry {
  /** `127.0.0.1:PORT`, the host part of every lab image reference. */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly dir: string;
  readonly logFile: string;
  readonly pid: number;
  /** The first htpasswd user, which the lab's push and helpers use. */
  readonly credentials: Credentials | undefined;
  /** Docker-Content-Digest of `repo:tag`; `authorization` overrides the lab's own credentials. */
  digestOf(repo: string, tag: string, authorization?: string): Promise<string>;
  /** Resolves the tag's digest, deletes that manifest and returns the digest. */
  deleteTag(repo: string, tag: string, authorization?: string): Promise<string>;
  stop(): Promise<void>;
  /** Starts a stopped registry again on the same port and storage. */
  start(): Promise<void>;
}

const START_ATTEMPTS = 3;

/** Starts the registry on a free port; retries with another port when the one picked was taken meanwhile. */
export async function startRegistry(options: RegistryOptions): Promise<Registry> {
  await mkdir(join(options.dir, "storage"), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOn(options, port);
    } catch (error) {
      const taken = logTail(join(options.dir, "registry.log"), 5).includes("address already in use");
      if (!taken || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

async function startOn(options: RegistryOptions, port: number): Promise<Registry> {
  const host = `${LOOPBACK}:${port}`;
  const url = `http://${host}`;
  const configFile = join(options.dir, "config.yml");
  await writeFile(configFile, await renderConfig(options, host));
  const spawnDaemon = () =>
    startDaemon({
      name: `registry on ${host}`,
      command: REGISTRY_BINARY,
      args: ["serve", configFile],
      logFile: join(options.dir, "registry.log"),
      // Any HTTP answer counts: with auth on, /v2/ answers 401.
      ready: async () => (await registryRequest({ method: "GET", url, path: "/v2/", timeoutMs: 1_000 })).status > 0,
    });
  let daemon: Daemon = await spawnDaemon();
  const credentials = options.auth?.type === "htpasswd" ? options.auth.users[0] : undefined;
  const access = (authorization: string | undefined): RegistryAccess => ({
    url,
    authorization: authorization ?? (credentials ? basicAuth(credentials) : undefined),
  });
  return {
    host,
    port,
    url,
    dir: options.dir,
    logFile: daemon.logFile,
    get pid() {
      return daemon.pid;
    },
    credentials,
    digestOf: (repo, tag, authorization) => headDigest(access(authorization), repo, tag),
    deleteTag: (repo, tag, authorization) => deleteManifest(access(authorization), repo, tag),
    stop: () => daemon.stop(),
    async start() {
      if (daemon.exit === undefined) return;
      daemon = await spawnDaemon();
    },
  };
}

export function basicAuth(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

async function renderConfig(options: RegistryOptions, host: string): Promise<string> {
  const q = (value: string) => JSON.stringify(value);
  const lines = [
    "version: 0.1",
    "log:",
    "  level: info",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${q(join(options.dir, "storage"))}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${q(host)}`,
  ];
  const auth = options.auth;
  if (auth?.type === "htpasswd") {
    if (auth.users.length === 0) throw new ImagedriftError("invalid-argument", "htpasswd auth needs at least one user");
    const file = join(options.dir, "htpasswd");
    await writeHtpasswd(file, auth.users);
    lines.push("auth:", "  htpasswd:", `    realm: ${q(auth.realm ?? "imagedrift-lab")}`, `    path: ${q(file)}`);
  } else if (auth?.type === "token") {
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${q(auth.realm)}`,
      `    service: ${q(auth.service)}`,
      `    issuer: ${q(auth.issuer)}`,
      `    rootcertbundle: ${q(auth.rootCertBundle)}`,
    );
  }
  if (options.notifications && options.notifications.length > 0) {
    lines.push("notifications:", "  endpoints:");
    for (const endpoint of options.notifications) {
      lines.push(`    - name: ${q(endpoint.name)}`, `      url: ${q(endpoint.url)}`);
      if (endpoint.token) lines.push("      headers:", `        Authorization: [${q(`Bearer ${endpoint.token}`)}]`);
      // Short retries: a lab collector is up or the test is over.
      lines.push("      timeout: 1s", "      threshold: 1", "      backoff: 1s");
    }
  }
  return `${lines.join("\n")}\n`;
}
