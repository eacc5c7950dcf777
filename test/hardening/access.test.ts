/**
 * Who may talk to the collector, against the real binary: mutating REST
 * calls and agents need the token (missing → refused, wrong → refused, over
 * REST and gRPC alike); with `--read-token-file`, reads under /api/ need one
 * of the two tokens and the read token changes nothing; each client IP is
 * rate limited (429 with Retry-After and the error body); bad flags stop the
 * program naming them; `--help` documents it all.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import {
  type AgentMessage,
  AUTHORIZATION_METADATA_KEY,
  agentGateway,
  type CollectorMessage,
  channelOptions,
  NODE_METADATA_KEY,
} from "@imagedrift/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../lab/wait.js";
import { COLLECTOR_BIN, type Collector, startCollector } from "../scenario/processes.js";

const TOKEN = "access-main-91f3";
const READ_TOKEN = "access-read-0b7d";
let dir: string;
let collector: Collector;
let limited: Collector;

beforeAll(async () => {
  dir = await mkdtemp("/tmp/idl-acc-");
  await writeFile(join(dir, "read-token"), `${READ_TOKEN}\n`, { mode: 0o600 });
  collector = await startCollector({ dir, token: TOKEN, extraArgs: ["--read-token-file", join(dir, "read-token")] });
  const limitedDir = await mkdtemp("/tmp/idl-acc-rl-");
  limited = await startCollector({ dir: limitedDir, token: TOKEN, extraArgs: ["--rate-limit", "5:10"] });
});

afterAll(async () => {
  await collector?.stop();
  await limited?.stop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
async function call(url: string, init: RequestInit = {}): Promise<{ status: number; error?: string; body: string }> {
  const res = await fetch(url, init);
  const body = await res.text();
  const error = res.headers.get("content-type")?.includes("json")
    ? (JSON.parse(body) as { error?: { message: string } }).error?.message
    : undefined;
  return { status: res.status, error, body };
}

describe("REST", () => {
  const post = (headers: Record<string, string> = {}) =>
    call(`${collector.url}/api/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ type: "refresh" }),
    });

  it("a mutation without a token → 401 naming what to send; a wrong one → 401; the read token → 403", async () => {
    expect(await post()).toMatchObject({
      status: 401,
      error: "POST /api/v1/jobs needs a token: send Authorization: Bearer <token>",
    });
    expect(await post(bearer("guess"))).toMatchObject({ status: 401, error: "the token is not valid" });
    expect(await post({ authorization: TOKEN })).toMatchObject({
      status: 401,
      error: 'the Authorization header must be "Bearer <token>"',
    });
    expect(await post(bearer(READ_TOKEN))).toMatchObject({
      status: 403,
      error: "the read token cannot POST /api/v1/jobs: changes need the main token",
    });
    // The main token gets past the door (and then: no node has reported yet).
    expect(await post(bearer(TOKEN))).toMatchObject({ status: 409, error: expect.stringContaining("no node") });
    const cancel = await call(`${collector.url}/api/v1/jobs/x`, { method: "DELETE" });
    expect(cancel.status).toBe(401);
  });

  it("with --read-token-file, reads under /api/ need either token; probes, metrics and the page do not", async () => {
    for (const path of ["/api/v1/nodes", "/api/v1/tags", "/api/v1/findings", "/api/v1/jobs", "/%61pi/v1/nodes"]) {
      expect((await call(`${collector.url}${path}`)).status, path).toBe(401);
      expect((await call(`${collector.url}${path}`, { headers: bearer("guess") })).status, path).toBe(401);
      expect((await call(`${collector.url}${path}`, { headers: bearer(READ_TOKEN) })).status, path).toBe(200);
      expect((await call(`${collector.url}${path}`, { headers: bearer(TOKEN) })).status, path).toBe(200);
    }
    for (const path of ["/healthz", "/readyz", "/metrics", "/", "/openapi.json"]) {
      expect((await call(`${collector.url}${path}`)).status, path).toBe(200);
    }
  });

  it("over the rate limit → 429 with Retry-After and the error body; probes are never limited", async () => {
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${limited.url}/api/v1/nodes`);
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
      else await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    expect(refused?.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect(((await refused?.json()) as { error: unknown } | undefined)?.error).toEqual({
      code: "resource-exhausted",
      message: expect.stringMatching(
        /^too many requests from 127\.0\.0\.1: the limit is 5 per second \(burst 10\); retry after \d+s$/,
      ),
    });
    expect((await fetch(`${limited.url}/healthz`)).status).toBe(200);
    // After the wait it names, the client is served again.
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(refused?.headers.get("retry-after"))));
    expect((await fetch(`${limited.url}/api/v1/nodes`)).status).toBe(200);
  });
});

describe("gRPC: agents", () => {
  type Stream = grpc.ClientDuplexStream<AgentMessage, CollectorMessage>;

  /** Dials like an agent, says hello, and resolves with the stream's first reply or its end status. */
  function dial(token: string | null): Promise<{ code: grpc.status; details: string; first?: CollectorMessage }> {
    const Client = agentGateway();
    const client = new Client(
      collector.grpcAddress,
      grpc.credentials.createInsecure(),
      channelOptions,
    ) as unknown as grpc.Client & {
      Connect: (md: grpc.Metadata) => Stream;
    };
    const md = new grpc.Metadata();
    md.set(NODE_METADATA_KEY, "intruder");
    if (token !== null) md.set(AUTHORIZATION_METADATA_KEY, `Bearer ${token}`);
    const stream = client.Connect(md);
    return new Promise((resolve) => {
      stream.on("data", (first: CollectorMessage) => {
        resolve({ code: grpc.status.OK, details: "", first });
        stream.cancel();
        client.close();
      });
      stream.on("error", () => {});
      stream.on("status", (status: grpc.StatusObject) => {
        resolve(status);
        client.close();
      });
      stream.write({
        body: "hello",
        hello: { node: "intruder", agentVersion: "x", intervalMs: 5000, inventoryHash: "", labels: {} },
      });
    });
  }

  it("without a token, or with a wrong one, the stream is refused and the node never appears", async () => {
    expect(await dial(null)).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: "missing or wrong token" });
    expect(await dial("guess-9c3a")).toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: "missing or wrong token",
    });
    expect(await dial(READ_TOKEN)).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const nodes = await call(`${collector.url}/api/v1/nodes`, { headers: bearer(TOKEN) });
    expect(JSON.parse(nodes.body).items).toEqual([]);
    const log = await readFile(collector.daemon.logFile, "utf8");
    const refusals = log.split("\n").filter((l) => l.includes('"msg":"agent refused: missing or wrong token"'));
    expect(refusals.length).toBe(3);
    for (const line of refusals) expect(JSON.parse(line)).toMatchObject({ level: "warn", node: "intruder" });
    expect(log).not.toContain("guess-9c3a");
  });

  it("with the token, the collector welcomes it", async () => {
    const reply = await dial(TOKEN);
    expect(reply.first?.body).toBe("welcome");
    await waitFor(
      async () =>
        JSON.parse((await call(`${collector.url}/api/v1/nodes`, { headers: bearer(TOKEN) })).body).items.length === 1,
      { what: "the welcomed node to be listed" },
    );
  });
});

describe("flags", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [COLLECTOR_BIN, "--kubernetes", "off", ...args], { encoding: "utf8", timeout: 30_000 });

  it("--help documents the read token, the rate limit and mutual TLS", () => {
    const help = run("--help").stdout.replace(/\s+/g, " ");
    expect(help).toContain("--read-token-file <path> a second token that can only read");
    expect(help).toContain("--rate-limit <rate> REST requests per second per client IP");
    expect(help).toContain("(default 50:100)");
    expect(help).toContain("--tls-client-ca <path> PEM CA: agents must present a client certificate it signed");
  });

  it("a bad value stops the program (exit 2) naming the flag", () => {
    for (const [args, says] of [
      [["--rate-limit", "fast"], '--rate-limit: "fast" is not a rate limit'],
      [["--read-token-file", "/nope"], "--read-token-file: needs --token-file"],
      [["--tls-client-ca", "/ca.pem"], "--tls-client-ca: needs --tls-cert and --tls-key"],
    ] as const) {
      const bad = run("--db", ":memory:", ...args);
      expect(bad.status, bad.stderr).toBe(2);
      expect(bad.stderr).toContain(says);
    }
  });
});
