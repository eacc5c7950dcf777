import type { JobItem } from "@imagedrift/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../cli-harness.fake.js";
import { errorBody, FakeCollector } from "../collector.fake.js";
import { JOB_ID, JOB_PATH, job, PARTIAL_PREPULL, PRUNE_DRY_RUN, SUCCEEDED_PREPULL } from "../job-fixtures.fake.js";

const PARTIAL = PARTIAL_PREPULL.at(-1) as JobItem;
/** Shares its first 6 characters with JOB_ID (7f3a9c1e-…): `7f3a9c` names neither. */
const SIBLING_ID = "7f3a9c2f-0000-4000-8000-000000000000";

let fake: FakeCollector;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await FakeCollector.start({
    routes: {
      [JOB_PATH]: { body: PARTIAL },
      "/api/v1/jobs/prune-1": { body: { ...PRUNE_DRY_RUN, id: "prune-1" } },
      "/api/v1/jobs/follow-me": SUCCEEDED_PREPULL.map((job) => ({ body: { ...job, id: "follow-me" } })),
      "/api/v1/jobs/empty": { body: job("succeeded", [], { type: "refresh" }) },
      "/api/v1/jobs/a%2Fb": { status: 404, body: errorBody("not-found", "no job a/b") },
      "/api/v1/jobs/7f3a9c2f-0000-4000-8000-000000000000": { body: { ...PARTIAL, id: SIBLING_ID } },
      "/api/v1/jobs?limit=1000": {
        body: { items: [PARTIAL, ...["prune-1", "follow-me", "empty", SIBLING_ID].map((id) => ({ ...PARTIAL, id }))] },
      },
    },
  });
  env = { IMAGEDRIFT_SERVER: fake.url };
});
afterAll(() => fake.close());

describe("imagedrift job ID", () => {
  it("shows what was asked, then the per-node summary, and exits 0 whatever the state", async () => {
    const result = await runCli(["job", JOB_ID], { env });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      [
        `Job:        ${JOB_ID}`,
        "Type:       prepull",
        "State:      partial",
        "Created:    12s ago by token",
        "Finished:   just now (took 11s)",
        "Target:     127.0.0.1:5000/shop/web:latest",
        "Nodes:      every reporting node",
        "Options:    defaults",
        "",
        "NODE       STATE       RESULT                                                                 MESSAGE",
        "worker-2   succeeded   pulled 127.0.0.1:5000/shop/web:latest sha256:aaaaaaaaaaaa (verified)",
        "worker-3   failed      -                                                                      pull failed: registry answered 503",
        "",
        `job ${JOB_ID} partial: 1 succeeded, 1 failed of 2 nodes; took 11s`,
        "",
      ].join("\n"),
    );
  });

  it("shows a prune's policy and what it would remove", async () => {
    const result = await runCli(["job", "prune-1"], { env });
    expect(result.stdout).toContain("Target:     policy unused, keep registry.example.com/base/** (dry run)\n");
    expect(result.stdout).toContain("Options:    dry run\n");
    expect(result.stdout).toContain("worker-1   remove   <none>       sha256:555555555555    512 MiB\n");
  });

  it("says why a job had no nodes", async () => {
    const result = await runCli(["job", "empty"], { env });
    expect(result.stdout).toContain("Target:     every stale or inconsistent tag\n");
    expect(result.stdout).toContain(
      `No selected node holds another digest than the registry's: nothing to refresh.\n\njob ${JOB_ID} succeeded: no nodes; took 11s\n`,
    );
  });

  it("prints the job as JSON and YAML", async () => {
    expect(JSON.parse((await runCli(["job", JOB_ID, "-o", "json"], { env })).stdout)).toEqual(PARTIAL);
    expect(parse((await runCli(["job", JOB_ID, "-o", "yaml"], { env })).stdout)).toEqual(PARTIAL);
  });

  it("--follow waits for the end and exits by the job's state", async () => {
    const followed = await runCli(["job", "follow-me", "--follow"], { env });
    expect(followed.code).toBe(0);
    expect(followed.stderr).toMatch(/^following job follow-me: prepull /);
    expect(followed.stdout).toMatch(/job follow-me succeeded: 2 succeeded of 2 nodes; took 11s\n$/);
    expect((await runCli(["job", JOB_ID, "--follow"], { env })).code).toBe(1);
  });

  it("exits 2 naming what it looked for when no job has that id", async () => {
    expect(await runCli(["job", "a/b"], { env })).toEqual({
      code: 2,
      stdout: "",
      stderr: 'imagedrift: no job id starts with "a/b" among the 5 newest jobs (see `imagedrift jobs`)\n',
    });
    expect((await runCli(["job", " "], { env })).code).toBe(2);
  });

  it("takes any unique prefix of a job id, as git and docker do, for job, job --follow and cancel", async () => {
    const shown = await runCli(["job", "7f3a9c1e"], { env });
    expect(shown).toMatchObject({ code: 0, stderr: "" });
    expect(shown.stdout).toContain(`Job:        ${JOB_ID}\n`);
    expect(fake.paths.slice(-2)).toEqual(["/api/v1/jobs?limit=1000", JOB_PATH]);
    const followed = await runCli(["job", "7F3A9C1E-5b2d", "--follow"], { env });
    expect(followed.code).toBe(1);
    expect(followed.stderr).toMatch(new RegExp(`^following job ${JOB_ID}: prepull `));
    expect((await runCli(["job", "follow"], { env })).stdout).toContain("Job:        follow-me\n");
  });

  it("exits 2 listing the matching jobs when a prefix is ambiguous", async () => {
    const result = await runCli(["job", "7f3a9c"], { env });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe(
      [
        'imagedrift: job id "7f3a9c" is ambiguous: 2 jobs start with it; give more of the id:',
        `  ${JOB_ID}  prepull partial, created ${PARTIAL.createdAt}`,
        `  ${SIBLING_ID}  prepull partial, created ${PARTIAL.createdAt}`,
        "",
      ].join("\n"),
    );
  });
});
