import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../cli-harness.fake.js";
import { FakeCollector } from "../collector.fake.js";
import { JOBS } from "../job-fixtures.fake.js";

let fake: FakeCollector;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await FakeCollector.start({
    routes: {
      "/api/v1/jobs": { body: { items: JOBS } },
      "/api/v1/jobs?state=running": { body: { items: JOBS.filter((j) => j.state === "running") } },
      // A collector that ignores ?state= still gets the filter applied.
      "/api/v1/jobs?state=succeeded": { body: { items: JOBS } },
      "/api/v1/jobs?state=failed": { body: { items: [] } },
    },
  });
  env = { IMAGEDRIFT_SERVER: fake.url };
});
afterAll(() => fake.close());

describe("imagedrift jobs", () => {
  it("prints a table: state, nodes done of all and failed, age, duration and target", async () => {
    const result = await runCli(["jobs"], { env });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      [
        "ID                                     TYPE      STATE       NODES            CREATED   TOOK   TARGET",
        "7f3a9c1e-5b2d-4c3a-9e8f-0a1b2c3d4e5f   prepull   partial     2/2 (1 failed)   12s ago    11s   127.0.0.1:5000/shop/web:latest",
        "a01b2c                                 prune     running     0/2              12s ago    11s   policy unused, keep registry.example.com/base/** (dry run)",
        "c3d4e5                                 refresh   succeeded   1/1              12s ago    11s   registry.example.com/team/app:2.4.1",
        "",
      ].join("\n"),
    );
  });

  it("--state asks the collector and filters", async () => {
    const running = await runCli(["jobs", "--state", "running"], { env });
    expect(running.stdout.split("\n").map((line) => line.split(" ")[0])).toEqual(["ID", "a01b2c", ""]);
    const succeeded = await runCli(["jobs", "--state", "succeeded", "-o", "json"], { env });
    expect(JSON.parse(succeeded.stdout).map((j: { id: string }) => j.id)).toEqual(["c3d4e5"]);
    expect((await runCli(["jobs", "--state", "failed"], { env })).stdout).toBe("No job is failed.\n");
    expect((await runCli(["jobs", "--state", "done"], { env })).code).toBe(2);
    expect(fake.paths).toContain("/api/v1/jobs?state=running");
  });

  it("prints the items as JSON and YAML arrays", async () => {
    expect(JSON.parse((await runCli(["jobs", "-o", "json"], { env })).stdout)).toEqual(JOBS);
    expect(parse((await runCli(["jobs", "-o", "yaml"], { env })).stdout)).toEqual(JOBS);
  });
});
