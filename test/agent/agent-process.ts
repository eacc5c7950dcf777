/**
 * The built `imagedrift-agent` binary, as the lab tests run it: one-shot
 * commands to completion, and the daemon on a free loopback port, awaited by
 * polling /readyz and stopped by its PID. Assumes the agent is built
 * (`npx turbo run build --filter=@imagedrift/agent`; the root `npm test` builds).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Daemon, freePort, LOOPBACK, startDaemon } from "../lab/index.js";

export const AGENT_BIN = fileURLToPath(new URL("../../packages/agent/bin/imagedrift-agent.js", import.meta.url));

/** The test runner's environment without the agent's own variables, so that only the flags given count. */
export function agentEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("IMAGEDRIFT_") && key !== "NODE_NAME"),
  );
  return { ...env, ...extra };
}

export interface AgentRun {
  /** Exit code; null when it ended by a signal (the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `imagedrift-agent args…` to completion; never throws on a non-zero exit. */
export function runAgent(args: readonly string[], timeoutMs = 60_000): Promise<AgentRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [AGENT_BIN, ...args],
      { env: agentEnv(), timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        const ms = performance.now() - started;
        if (error && typeof error.code !== "number" && !error.killed && error.signal == null) {
          reject(error);
          return;
        }
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr, ms });
      },
    );
  });
}

export interface AgentDaemon {
  readonly daemon: Daemon;
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly logFile: string;
  /** GET (or another method) on the agent's HTTP surface. */
  request(path: string, method?: string): Promise<{ status: number; body: string }>;
  /** The /metrics text. */
  metrics(): Promise<string>;
  /** SIGTERM, SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface AgentDaemonOptions {
  endpoint: string;
  nodeName: string;
  /** e.g. "1s". */
  interval: string;
  /** Folder for the daemon's log (the lab dir). */
  dir: string;
  /** How long to wait for /readyz 200. Default 30 s. */
  readyTimeoutMs?: number;
  /** More flags, e.g. `--events off`. */
  extraArgs?: string[];
}

const START_ATTEMPTS = 3;

/**
 * Starts the daemon on 127.0.0.1 and a free port and resolves once /readyz
 * answers 200 (its first scan succeeded). Retries on another port when the one
 * picked was taken in the meantime.
 */
export async function startAgentDaemon(options: AgentDaemonOptions): Promise<AgentDaemon> {
  const logFile = join(options.dir, "agent.log");
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://${LOOPBACK}:${port}`;
    try {
      const daemon = await startDaemon({
        name: `imagedrift-agent on ${LOOPBACK}:${port}`,
        command: process.execPath,
        args: [
          AGENT_BIN,
          "--cri-endpoint",
          options.endpoint,
          "--node-name",
          options.nodeName,
          "--listen",
          `${LOOPBACK}:${port}`,
          "--interval",
          options.interval,
          ...(options.extraArgs ?? []),
        ],
        logFile,
        env: agentEnv(),
        ready: async () => (await fetch(`${url}/readyz`)).status === 200,
        readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      });
      const request = async (path: string, method = "GET") => {
        const res = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(10_000) });
        return { status: res.status, body: await res.text() };
      };
      return {
        daemon,
        pid: daemon.pid,
        port,
        url,
        logFile,
        request,
        metrics: async () => {
          const res = await request("/metrics");
          if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${res.body}`);
          return res.body;
        },
        stop: (timeoutMs) => daemon.stop(timeoutMs),
      };
    } catch (error) {
      let taken = false;
      try {
        taken = readFileSync(logFile, "utf8").includes("EADDRINUSE");
      } catch {
        // No log: the daemon never started.
      }
      if (!taken || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

/** The value of one sample (`name` or `name{labels}`, exactly as exposed) in Prometheus text, or undefined. */
export function sample(metricsText: string, series: string): number | undefined {
  for (const line of metricsText.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** `VmRSS` and `VmHWM` of a process, in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
    if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(match[1]) * 1024;
  };
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}
