/**
 * One exit-code rule for every command (see EXIT_CODES_HELP): an error the
 * user fixes on the command line (HTTP 4xx, unknown node or job) is 2, a
 * collector that cannot be reached or fails (5xx, 429) is 3; 1 is only a
 * failed check. Each command that talks to the collector is run against a
 * collector answering each status.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cannedRoutes, NGINX } from "./api-fixtures.fake.js";
import { runCli } from "./cli-harness.fake.js";
import { type CannedResponse, closedPort, errorBody, FakeCollector } from "./collector.fake.js";
import { JOB_ID } from "./job-fixtures.fake.js";

const COMMANDS: readonly (readonly string[])[] = [
  ["nodes"],
  ["images", "worker-1"],
  ["tags"],
  ["findings"],
  ["verify", NGINX],
  ["prepull", NGINX, "--no-wait"],
  ["refresh", "--no-wait"],
  ["prune", "--policy", "unused", "--dry-run", "--no-wait"],
  ["jobs"],
  ["job", JOB_ID],
  ["job", "7f3a9c"],
  ["cancel", JOB_ID],
];

const STATUSES: readonly [number, string, number][] = [
  [400, "invalid-argument", 2],
  [401, "unauthenticated", 2],
  [403, "permission-denied", 2],
  [404, "not-found", 2],
  [409, "failed-precondition", 2],
  [429, "resource-exhausted", 3],
  [500, "internal", 3],
  [503, "unavailable", 3],
];

/** A collector that answers every request with one status and error body. */
async function answering(status: number, code: string): Promise<FakeCollector> {
  const answer: CannedResponse = { status, body: errorBody(code, `said ${code}`) };
  const routes: Record<string, CannedResponse> = {};
  for (const path of ["/api/v1/nodes", "/api/v1/nodes/worker-1/images", "/api/v1/tags", "/api/v1/findings"]) {
    routes[path] = answer;
  }
  for (const key of ["/api/v1/jobs", `/api/v1/jobs/${JOB_ID}`, "POST /api/v1/jobs", `DELETE /api/v1/jobs/${JOB_ID}`]) {
    routes[key] = answer;
  }
  return FakeCollector.start({ routes });
}

let fake: FakeCollector | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("exit codes, per command", () => {
  it.each(STATUSES)("HTTP %i (%s) exits %i from every command", async (status, code, exit) => {
    fake = await answering(status, code);
    for (const argv of COMMANDS) {
      const result = await runCli(argv, { env: { IMAGEDRIFT_SERVER: fake.url, IMAGEDRIFT_TOKEN: "t" } });
      expect(result.code, `${argv.join(" ")} → ${result.stderr}`).toBe(exit);
      expect(result.stdout, argv.join(" ")).toBe("");
      expect(result.stderr, argv.join(" ")).toMatch(/^imagedrift: /);
    }
  });

  it("exits 3 from every command when the collector cannot be reached", async () => {
    const env = { IMAGEDRIFT_SERVER: `http://127.0.0.1:${await closedPort()}` };
    for (const argv of COMMANDS) expect((await runCli(argv, { env })).code, argv.join(" ")).toBe(3);
  });

  it("exits 2 from every command for a bad global flag or variable, before any request", async () => {
    fake = await FakeCollector.start({ routes: cannedRoutes() });
    for (const argv of COMMANDS) {
      const env = { IMAGEDRIFT_SERVER: fake.url };
      expect((await runCli([...argv, "--timeout", "soon"], { env })).code, argv.join(" ")).toBe(2);
      expect((await runCli(argv, { env: { ...env, IMAGEDRIFT_OUTPUT: "xml" } })).code, argv.join(" ")).toBe(2);
    }
    expect(fake.requests).toEqual([]);
  });

  it("exits 2 for an unknown node, in verify --nodes as in images", async () => {
    fake = await FakeCollector.start({
      routes: {
        ...cannedRoutes(),
        "/api/v1/nodes/nX/images": { status: 404, body: errorBody("not-found", 'node "nX" is not known') },
      },
    });
    const env = { IMAGEDRIFT_SERVER: fake.url };
    expect((await runCli(["images", "nX"], { env })).code).toBe(2);
    const verify = await runCli(["verify", NGINX, "--nodes", "worker-1,nX"], { env });
    expect(verify).toMatchObject({ code: 2, stdout: "" });
    expect(verify.stderr).toMatch(/unknown node nX: the collector knows worker-1, worker-2, worker-3/);
  });
});
