/**
 * The product's programs (and the bench's own peers) as processes on
 * 127.0.0.1, like test/scenario/processes.ts starts them, plus Node flags
 * (`--cpu-prof`) and a longer stop for profiled runs. Each is stopped by its
 * PID (SIGTERM, then SIGKILL).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startDaemon } from "../../test/dist/lab/index.js";
import { AGENT_BIN, COLLECTOR_BIN } from "../../test/dist/scenario/processes.js";

export { AGENT_BIN, COLLECTOR_BIN };

const SINK = fileURLToPath(new URL("./sink.mjs", import.meta.url));

/**
 * The Node flags a program ships with: those on its bin's shebang line
 * (`#!/usr/bin/env -S node FLAGS`), which apply where the image's ENTRYPOINT
 * runs the bin. Programs here start as `node BIN`, which reads no shebang, so
 * they are given them.
 */
export function shippedNodeFlags(bin) {
  const words = readFileSync(bin, "utf8").split("\n", 1)[0].trim().split(/\s+/);
  const node = words.indexOf("node");
  return node < 0 ? [] : words.slice(node + 1);
}

/** Node flags that write a CPU profile into `dir` when the process exits. */
export const cpuProfFlags = (dir, name) => [
  "--cpu-prof",
  `--cpu-prof-dir=${dir}`,
  `--cpu-prof-name=${name}.cpuprofile`,
];

/** The environment without the products' own variables, so that only the flags given count. */
function cleanEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith("IMAGEDRIFT_") && key !== "NODE_NAME" && key !== "NODE_OPTIONS",
    ),
  );
}

function jsonLines(file, msg) {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l));
}

function withStop(daemon, stopTimeoutMs) {
  return { daemon, pid: daemon.pid, stop: () => daemon.stop(stopTimeoutMs) };
}

/**
 * The collector on 127.0.0.1 ports picked by the kernel (or the HTTP port given, when a registry's
 * notifications must name it first), with the Node flags it ships with; `--kubernetes off`.
 */
export async function startCollector({
  dir,
  name = "collector",
  httpPort = 0,
  resolveInterval = "5m",
  extraArgs = [],
  nodeFlags = [],
  stopTimeoutMs = 5_000,
}) {
  const logFile = join(dir, `${name}.log`);
  const db = join(dir, `${name}.db`);
  const daemon = await startDaemon({
    name,
    command: process.execPath,
    args: [
      ...shippedNodeFlags(COLLECTOR_BIN),
      ...nodeFlags,
      COLLECTOR_BIN,
      "--db",
      db,
      "--listen",
      `127.0.0.1:${httpPort}`,
      "--grpc-listen",
      "127.0.0.1:0",
      "--kubernetes",
      "off",
      "--resolve-interval",
      resolveInterval,
      ...extraArgs,
    ],
    logFile,
    env: cleanEnv(),
    ready: () => jsonLines(logFile, "collector started").length > 0,
    readyTimeoutMs: 30_000,
  });
  const [started] = jsonLines(logFile, "collector started");
  return {
    ...withStop(daemon, stopTimeoutMs),
    db,
    logFile,
    url: `http://127.0.0.1:${started.httpPort}`,
    grpcAddress: `127.0.0.1:${started.grpcPort}`,
  };
}

/** The ingest peer (sink.mjs) on a kernel-picked port. */
export async function startSink({ dir, nodeFlags = [] }) {
  const logFile = join(dir, "sink.log");
  const db = join(dir, "sink.db");
  const daemon = await startDaemon({
    name: "sink",
    command: process.execPath,
    args: [...nodeFlags, SINK, db, "127.0.0.1:0"],
    logFile,
    env: cleanEnv(),
    ready: () => jsonLines(logFile, "sink started").length > 0,
  });
  const [started] = jsonLines(logFile, "sink started");
  return { ...withStop(daemon, 5_000), db, grpcAddress: `127.0.0.1:${started.grpcPort}` };
}

/** The agent daemon of one lab node, awaited by /readyz (its first scan done). */
export async function startAgent({
  dir,
  node,
  endpoint,
  collector,
  interval = "60s",
  extraArgs = [],
  nodeFlags = [],
  stopTimeoutMs = 5_000,
}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({
    name: `agent ${node}`,
    command: process.execPath,
    args: [
      ...nodeFlags,
      AGENT_BIN,
      "--node-name",
      node,
      "--cri-endpoint",
      endpoint,
      "--listen",
      `127.0.0.1:${port}`,
      "--interval",
      interval,
      ...(collector ? ["--collector", collector] : []),
      ...extraArgs,
    ],
    logFile: join(dir, `agent-${node}.log`),
    env: cleanEnv(),
    ready: async () => (await fetch(`${url}/readyz`)).status === 200,
    readyTimeoutMs: 60_000,
  });
  return { ...withStop(daemon, stopTimeoutMs), url };
}

/** Runs a program to completion; resolves with its wall time, exit code and output. */
export function run(command, args, { timeoutMs = 120_000, env = cleanEnv() } = {}) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 512 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        const ms = performance.now() - started;
        if (error && typeof error.code !== "number") {
          reject(new Error(`${command} ${args.join(" ")}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ ms, code: error ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** Runs a program and throws unless it exits 0. */
export async function runOk(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}: ${result.stderr.slice(-2000)}`);
  }
  return result;
}
