import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../cli-harness.fake.js";
import { type CannedRoute, closedPort, errorBody, FakeCollector } from "../collector.fake.js";
import { JOB_ID, JOB_PATH, jobRoutes, PARTIAL_PREPULL, SUCCEEDED_PREPULL, WEB } from "../job-fixtures.fake.js";

const ESC = "\u001b";
const TOKEN = "Zq9-job-token";

let fake: FakeCollector | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function serve(routes: Record<string, CannedRoute>, token?: string) {
  fake = await FakeCollector.start({ routes, token });
  return { fake, env: { IMAGEDRIFT_SERVER: fake.url } };
}

describe("imagedrift prepull REF...", () => {
  it("POSTs the normalised references and every job flag, with the token, and --no-wait prints the id", async () => {
    const { fake, env } = await serve(jobRoutes(SUCCEEDED_PREPULL), TOKEN);
    const result = await runCli(
      [
        "prepull",
        "nginx:1.27",
        "127.0.0.1:5000/shop/web",
        "nginx:1.27",
        "--nodes",
        "worker-1,worker-2",
        "--nodes",
        "worker-3",
        "--selector",
        "pool=web,topology.kubernetes.io/zone=a",
        "--selector",
        "disk=ssd",
        "--concurrency",
        "2",
        "--dry-run",
        "--timeout-per-node",
        "5m",
        "--retries",
        "1",
        "--no-wait",
      ],
      { env: { ...env, IMAGEDRIFT_TOKEN: TOKEN } },
    );
    expect(result).toEqual({ code: 0, stdout: `${JOB_ID}\n`, stderr: "" });
    expect(fake.requests).toEqual([
      {
        method: "POST",
        url: "/api/v1/jobs",
        authorization: `Bearer ${TOKEN}`,
        body: {
          type: "prepull",
          images: ["docker.io/library/nginx:1.27", WEB],
          nodes: ["worker-1", "worker-2", "worker-3"],
          nodeSelector: { pool: "web", "topology.kubernetes.io/zone": "a", disk: "ssd" },
          dryRun: true,
          concurrency: 2,
          timeoutMs: 300_000,
          retries: 1,
        },
      },
    ]);
  });

  it("sends only what was asked: the collector's defaults apply to the rest", async () => {
    const { fake, env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    expect((await runCli(["prepull", "nginx", "--no-wait"], { env })).code).toBe(0);
    expect(fake.requestsOf("POST")[0]?.body).toEqual({ type: "prepull", images: ["docker.io/library/nginx:latest"] });
  });

  it("--no-wait with -o json|yaml prints {id, state}", async () => {
    const { env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    const json = await runCli(["prepull", "nginx", "--no-wait", "-o", "json"], { env });
    expect(JSON.parse(json.stdout)).toEqual({ id: JOB_ID, state: "pending" });
    const yaml = await runCli(["-o", "yaml", "prepull", "nginx", "--no-wait"], { env });
    expect(parse(yaml.stdout)).toEqual({ id: JOB_ID, state: "pending" });
  });

  it("follows pending → running → partial: a plain line per node state change, the summary, exit 1", async () => {
    const { fake, env } = await serve(jobRoutes(PARTIAL_PREPULL));
    const result = await runCli(["prepull", WEB], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        `following job ${JOB_ID}: prepull ${WEB} (Ctrl-C stops following; the job goes on)`,
        `worker-2 running: pulling ${WEB}`,
        `worker-3 running: pulling ${WEB}`,
        `worker-2 succeeded: pulled ${WEB} sha256:aaaaaaaaaaaa (verified)`,
        "worker-3 failed: pull failed: registry answered 503 (attempt 3)",
        "",
      ].join("\n"),
    );
    expect(result.stdout).toBe(
      [
        "NODE       STATE       RESULT                                                                 MESSAGE",
        `worker-2   succeeded   pulled ${WEB} sha256:aaaaaaaaaaaa (verified)`,
        "worker-3   failed      -                                                                      pull failed: registry answered 503",
        "",
        `job ${JOB_ID} partial: 1 succeeded, 1 failed of 2 nodes; took 11s`,
        "",
      ].join("\n"),
    );
    expect(result.stdout + result.stderr).not.toContain(ESC);
    expect(fake.requestsOf("GET", JOB_PATH)).toHaveLength(PARTIAL_PREPULL.length);
  });

  it("exits 0 when the job succeeded", async () => {
    const { env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    const result = await runCli(["prepull", WEB], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`job ${JOB_ID} succeeded: 2 succeeded of 2 nodes; took 11s\\n$`));
  });

  it("prints the final job as JSON on stdout, progress staying on stderr", async () => {
    const { env } = await serve(jobRoutes(PARTIAL_PREPULL));
    const result = await runCli(["prepull", WEB, "-o", "json"], { env });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual(PARTIAL_PREPULL.at(-1));
    expect(result.stderr).toContain("worker-3 failed");
  });

  it("exits 2 with the collector's message when it rejects the job (400)", async () => {
    const { env } = await serve({
      "POST /api/v1/jobs": { status: 400, body: errorBody("invalid-argument", "no node matches selector pool=gpu") },
    });
    expect(await runCli(["prepull", "nginx", "--selector", "pool=gpu"], { env })).toEqual({
      code: 2,
      stdout: "",
      stderr: "imagedrift: the collector rejected the request: no node matches selector pool=gpu\n",
    });
  });

  it("exits 2 naming a bad reference and the rule, before any request", async () => {
    const { fake, env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    expect(await runCli(["prepull", "nginx:1.27", "MyApp:1"], { env })).toEqual({
      code: 2,
      stdout: "",
      stderr: 'imagedrift: invalid reference "MyApp:1": repository name must be lowercase\n',
    });
    expect((await runCli(["prepull"], { env })).code).toBe(2);
    expect(fake.requests).toEqual([]);
  });

  it.each([
    [["--concurrency", "0"], /--concurrency "0": want a whole number from 1 to 1000/],
    [["--retries", "-1"], /--retries "-1": want a whole number from 0 to 10/],
    [["--concurrency", "1001"], /--concurrency "1001": want a whole number from 1 to 1000/],
    [["--timeout-per-node", "soon"], /--timeout-per-node: invalid duration "soon"/],
    [["--selector", "pool"], /--selector "pool": want label=value/],
    [["--selector", "Pool Name=x"], /label name "Pool Name" must be/],
    [["--selector", "pool=a,pool=b"], /gives pool two values/],
    [["--nodes", ","], /--nodes needs node names/],
  ])("exits 2 for %j", async (flags, message) => {
    const { fake, env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    const result = await runCli(["prepull", "nginx", ...flags], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fake.requests).toEqual([]);
  });

  it("exits 2 saying the collector needs a token (401)", async () => {
    const { env } = await serve(jobRoutes(SUCCEEDED_PREPULL), TOKEN);
    expect(await runCli(["prepull", "nginx"], { env })).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "imagedrift: the collector needs a token: set --token or IMAGEDRIFT_TOKEN to the one in the collector's --token-file\n",
    });
  });

  it("exits 3 when the collector cannot be reached", async () => {
    const port = await closedPort();
    const result = await runCli(["prepull", "nginx", "--server", `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot reach the collector at .*connection refused/);
  });
});
