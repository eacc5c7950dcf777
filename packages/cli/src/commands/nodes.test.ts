import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cannedRoutes, NODES } from "../api-fixtures.fake.js";
import { runCli } from "../cli-harness.fake.js";
import { FakeCollector } from "../collector.fake.js";

let fake: FakeCollector;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await FakeCollector.start({ routes: cannedRoutes() });
  env = { IMAGEDRIFT_SERVER: fake.url };
});
afterAll(() => fake.close());

describe("imagedrift nodes", () => {
  it("prints an aligned table with sizes and ages", async () => {
    const result = await runCli(["nodes"], { env });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      [
        "NAME       STATE       MODE      RUNTIME            IMAGES      SIZE   IMAGEFS USED   LAST REPORT",
        "worker-1   reporting   events    containerd 2.0.4        3   1.2 GiB        5.0 GiB   12s ago",
        "worker-2   reporting   polling   containerd 2.0.4        3   1.2 GiB        5.0 GiB   30s ago",
        "worker-3   missing     -         containerd 2.0.4        3   1.2 GiB        5.0 GiB   3h ago",
        "",
      ].join("\n"),
    );
  });

  it("prints the items as JSON and YAML arrays", async () => {
    const json = await runCli(["nodes", "-o", "json"], { env });
    expect(JSON.parse(json.stdout)).toEqual(NODES);
    const yaml = await runCli(["-o", "yaml", "nodes"], { env });
    expect(parse(yaml.stdout)).toEqual(NODES);
  });

  it("says so when no node has reported", async () => {
    const empty = await FakeCollector.start({ routes: { "/api/v1/nodes": { body: { items: [] } } } });
    const result = await runCli(["nodes", "--server", empty.url]);
    await empty.close();
    expect(result).toMatchObject({ code: 0, stdout: "No nodes have reported to the collector yet.\n" });
  });
});
