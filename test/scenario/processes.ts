/**
 * The product's own programs, started as real processes for end-to-end tests
 * and the demo: the collector on loopback ports picked at run time, and one
 * agent per lab node. Each is stopped by its PID.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../lab/ports.js";
import { type Daemon, startDaemon } from "../lab/process.js";

/** The repository root, found from this file both as source (test/scenario) and built (test/dist/scenario). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "packages", "agent", "bin"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the repository root above test/scenario");
    dir = parent;
  }
  return dir;
}

const root = repoRoot();
export const AGENT_BIN = join(root, "packages/agent/bin/imagedrift-agent.js");
export const COLLECTOR_BIN = join(root, "packages/collector/bin/imagedrift-collector.js");
export const CLI_BIN = join(root, "packages/cli/bin/imagedrift.js");

export interface Ports {
  httpPort: number;
  grpcPort: number;
}

export interface Collector {
  daemon: Daemon;
  url: string;
  grpcAddress: string;
  /** The ports this run bound, to start another collector where agents expect it. */
  ports: Ports;
  tokenFile: string | null;
  token: string | null;
  db: string;
  stop(): Promise<void>;
}

export interface CollectorOptions {
  dir: string;
  /** Writes a token file and requires it. */
  token?: string;
  resolveInterval?: string;
  db?: string;
  extraArgs?: string[];
  /** The collector's environment (default: this process's), e.g. with KUBECONFIG for `--kubernetes on`. */
  env?: NodeJS.ProcessEnv;
  /** Reuse fixed ports (to restart a collector where agents expect it). */
  httpPort?: number;
  grpcPort?: number;
}

/** Every "collector started" log line so far; each carries the ports that run bound. */
function startedLines(logFile: string): Ports[] {
  let text = "";
  try {
    text = readFileSync(logFile, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.includes('"msg":"collector started"'))
    .map((l) => JSON.parse(l) as Ports);
}

export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const tokenFile = options.token ? join(options.dir, "collector-token") : null;
  if (tokenFile && options.token) writeFileSync(tokenFile, `${options.token}\n`, { mode: 0o600 });
  const db = options.db ?? join(options.dir, "imagedrift.db");
  const logFile = join(options.dir, "collector.log");
  const earlierRuns = startedLines(logFile).length;
  const args = [
    COLLECTOR_BIN,
    "--db",
    db,
    "--listen",
    `127.0.0.1:${options.httpPort ?? 0}`,
    "--grpc-listen",
    `127.0.0.1:${options.grpcPort ?? 0}`,
    "--kubernetes",
    "off",
    "--resolve-interval",
    options.resolveInterval ?? "2s",
    ...(tokenFile ? ["--token-file", tokenFile] : []),
    ...(options.extraArgs ?? []),
  ];
  const daemon = await startDaemon({
    name: "collector",
    command: process.execPath,
    args,
    logFile,
    env: options.env,
    ready: () => startedLines(logFile).length > earlierRuns,
  });
  const found = startedLines(logFile)[earlierRuns];
  if (!found) throw new Error("collector started without reporting its ports");
  return {
    daemon,
    url: `http://127.0.0.1:${found.httpPort}`,
    grpcAddress: `127.0.0.1:${found.grpcPort}`,
    ports: { httpPort: found.httpPort, grpcPort: found.grpcPort },
    tokenFile,
    token: options.token ?? null,
    db,
    stop: () => daemon.stop(),
  };
}

export interface AgentOptions {
  dir: string;
  node: string;
  /** unix:///… socket of the node's containerd. */
  endpoint: string;
  collector?: string;
  tokenFile?: string | null;
  interval?: string;
  extraArgs?: string[];
}

export interface Agent {
  daemon: Daemon;
  url: string;
  stop(): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: `agent ${options.node}`,
    command: process.execPath,
    args: [
      AGENT_BIN,
      "--node-name",
      options.node,
      "--cri-endpoint",
      options.endpoint,
      "--listen",
      `127.0.0.1:${port}`,
      "--interval",
      options.interval ?? "1s",
      ...(options.collector ? ["--collector", options.collector] : []),
      ...(options.tokenFile ? ["--token-file", options.tokenFile] : []),
      ...(options.extraArgs ?? []),
    ],
    logFile: join(options.dir, `agent-${options.node}.log`),
    ready: async () => (await fetch(`${url}/healthz`)).ok,
  });
  return { daemon, url, stop: () => daemon.stop() };
}
