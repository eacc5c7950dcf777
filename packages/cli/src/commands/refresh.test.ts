import { afterEach, describe, expect, it } from "vitest";
import { APP, cannedRoutes } from "../api-fixtures.fake.js";
import { runCli } from "../cli-harness.fake.js";
import { type CannedRoute, errorBody, FakeCollector } from "../collector.fake.js";
import { JOB_ID, jobRoutes, SUCCEEDED_PREPULL } from "../job-fixtures.fake.js";

let fake: FakeCollector | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function serve(routes: Record<string, CannedRoute>) {
  fake = await FakeCollector.start({ routes });
  return { fake, env: { IMAGEDRIFT_SERVER: fake.url } };
}

describe("imagedrift refresh [REF...]", () => {
  it("POSTs the tags given, normalised, with --remove-replaced and the job flags", async () => {
    const { fake, env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    const argv = ["refresh", "myuser/app", APP, "--remove-replaced", "--selector", "pool=web", "--concurrency", "3"];
    const result = await runCli([...argv, "--dry-run", "--no-wait"], { env });
    expect(result).toEqual({ code: 0, stdout: `${JOB_ID}\n`, stderr: "" });
    expect(fake.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      [
        "POST",
        "/api/v1/jobs",
        {
          type: "refresh",
          images: ["docker.io/myuser/app:latest", APP],
          nodeSelector: { pool: "web" },
          concurrency: 3,
          dryRun: true,
          removeReplaced: true,
        },
      ],
    ]);
  });

  it("without REF leaves the choice to the collector: every stale or inconsistent tag it can refresh", async () => {
    const { fake, env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    expect((await runCli(["refresh", "--no-wait"], { env })).code).toBe(0);
    expect(fake.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      ["POST", "/api/v1/jobs", { type: "refresh" }],
    ]);
  });

  it("exits 2 with the collector's reason when a tag cannot be refreshed (409)", async () => {
    const { env } = await serve({
      "POST /api/v1/jobs": {
        status: 409,
        body: errorBody("failed-precondition", `no node holds ${APP}: nothing to refresh (use prepull)`),
      },
    });
    expect(await runCli(["refresh", APP], { env })).toEqual({
      code: 2,
      stdout: "",
      stderr: `imagedrift: the collector refused: no node holds ${APP}: nothing to refresh (use prepull) (HTTP 409)\n`,
    });
  });

  it("follows the job like prepull", async () => {
    const { env } = await serve({ ...cannedRoutes(), ...jobRoutes(SUCCEEDED_PREPULL) });
    const result = await runCli(["refresh", APP], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("worker-1 succeeded: pulled");
  });

  it("exits 2 for a digest or a bad reference, before any request", async () => {
    const { fake, env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    const pinned = await runCli(["refresh", `${APP}@sha256:${"b".repeat(64)}`], { env });
    expect(pinned.code).toBe(2);
    expect(pinned.stderr).toMatch(
      /refresh pulls a tag again to the registry's digest, so give name:tag without @digest/,
    );
    expect((await runCli(["refresh", "app:bad tag"], { env })).stderr).toMatch(
      /invalid reference "app:bad tag": invalid tag/,
    );
    expect(fake.requests).toEqual([]);
  });
});
