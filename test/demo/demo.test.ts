/**
 * `npm run demo` as a newcomer runs it: once from a script (it prints the
 * findings and how to reach and authenticate to the collector, then stops
 * and exits 0), once with --keep (it stays up without a terminal until
 * SIGINT, then stops everything). Port 8080 is held by the test, so the demo
 * must say which port it took instead.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../lab/wait.js";

const DEMO = fileURLToPath(new URL("../dist/demo.js", import.meta.url));

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDemo(...args: string[]): Run {
  const child = spawn(process.execPath, [DEMO, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => text, exited };
}

let blocker: Server | undefined;
const runs: Run[] = [];

beforeAll(async () => {
  // Holds 8080 when it is free; when something else holds it, the demo finds it taken all the same.
  blocker = await new Promise<Server | undefined>((resolve) => {
    // It only holds the port: a connection (another lab test trying the default 8080) is closed at once,
    // so that close() below never waits for one.
    const server = createServer((socket) => socket.destroy());
    server.once("error", () => resolve(undefined));
    server.listen(8080, "127.0.0.1", () => resolve(server));
  });
});

afterAll(async () => {
  for (const run of runs) if (run.child.exitCode === null) run.child.kill("SIGINT");
  await Promise.all(runs.map((run) => run.exited));
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
});

it("from a script: prints findings, the port it took, the token's file and how to use it, then exits 0", async () => {
  const run = startDemo();
  runs.push(run);
  expect(await run.exited, run.output()).toBe(0);
  const out = run.output();
  expect(out).toMatch(/imagedrift finds \d+ problems/);
  expect(out).toMatch(/port 8080 is taken, so the collector listens on http:\/\/127\.0\.0\.1:\d+ instead/);
  expect(out).toMatch(/the collector runs with --token-file \S+: reads are open, jobs need the token/);
  expect(out).toMatch(/export IMAGEDRIFT_SERVER=\S+ IMAGEDRIFT_TOKEN=\$\(cat \S+\)/);
  expect(out).toContain("--keep keeps it up");
  expect(out).not.toContain("seeds");
}, 180_000);

it("with --keep and no terminal: stays up, answers, and stops everything on SIGINT", async () => {
  const run = startDemo("--keep");
  runs.push(run);
  await waitFor(() => run.output().includes("Ctrl-C stops everything") || run.child.exitCode !== null, {
    what: "the demo to be ready",
    timeoutMs: 150_000,
    intervalMs: 200,
  });
  expect(run.child.exitCode, run.output()).toBeNull();
  const url = /web page +(\S+)/.exec(run.output())?.[1] ?? "";
  expect((await fetch(url)).status).toBe(200);
  run.child.kill("SIGINT");
  expect(await run.exited).toBe(0);
  await expect(fetch(url)).rejects.toThrow();
}, 180_000);
