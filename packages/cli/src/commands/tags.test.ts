import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cannedRoutes, TAGS } from "../api-fixtures.fake.js";
import { runCli } from "../cli-harness.fake.js";
import { FakeCollector } from "../collector.fake.js";

let fake: FakeCollector;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await FakeCollector.start({ routes: cannedRoutes() });
  env = { IMAGEDRIFT_SERVER: fake.url };
});
afterAll(() => fake.close());

describe("imagedrift tags", () => {
  it("shows each tag's status, registry digest and the digests on nodes", async () => {
    const result = await runCli(["tags"], { env });
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^TAG +STATUS +REGISTRY +NODES +DIGESTS ON NODES +RESOLVED +NOTE$/);
    expect(lines[1]).toMatch(/^nginx:1\.27 +current +sha256:aaaaaaaaaaaa +2 +sha256:aaaaaaaaaaaa ×2 +2m ago \(poll\)$/);
    expect(lines[2]).toContain(
      "stale        sha256:bbbbbbbbbbbb       2   sha256:bbbbbbbbbbbb ×1, sha256:dddddddddddd ×1   1m ago (event)",
    );
    expect(lines[3]).toMatch(
      /unresolved +- +2 .* 30s ago \(poll\) +registry unresolved: registry\.example\.com: 503 Service Unavailable$/,
    );
  });

  it("asks for summaries for its table, and summarises views itself from a collector that predates them", async () => {
    const summarised = await runCli(["tags"], { env });
    expect(fake.paths.at(-1)).toBe("/api/v1/tags?view=summary");
    const older = await FakeCollector.start({
      routes: { ...cannedRoutes(), "/api/v1/tags?view=summary": { body: { items: TAGS } } },
    });
    try {
      const viewed = await runCli(["tags"], { env: { IMAGEDRIFT_SERVER: older.url } });
      expect(viewed).toEqual(summarised);
    } finally {
      await older.close();
    }
  });

  it("passes --status to the collector", async () => {
    const result = await runCli(["tags", "--status", "stale", "-o", "yaml"], { env });
    expect(fake.paths.at(-1)).toBe("/api/v1/tags?status=stale");
    expect(parse(result.stdout)).toEqual(TAGS.filter((t) => t.status === "stale"));
  });
});
