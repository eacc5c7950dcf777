import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cannedRoutes, FINDINGS } from "../api-fixtures.fake.js";
import { runCli } from "../cli-harness.fake.js";
import { FakeCollector } from "../collector.fake.js";
import { failsAt } from "./findings.js";

let fake: FakeCollector;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await FakeCollector.start({ routes: cannedRoutes() });
  env = { IMAGEDRIFT_SERVER: fake.url };
});
afterAll(() => fake.close());

describe("imagedrift findings", () => {
  it("lists findings with their remedies and exits 0 without --fail-on", async () => {
    const result = await runCli(["findings"], { env });
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^SEVERITY +KIND +REFERENCE +NODES +SINCE +MESSAGE$/);
    expect(lines[1]).toMatch(
      /^warning +stale-tag +registry\.example\.com\/team\/app:2\.4\.1 +worker-2 +1h ago +worker-2 holds/,
    );
    expect(lines[2]).toBe("  fix: imagedrift refresh registry.example.com/team/app:2.4.1");
    expect(lines.at(-2)).toBe("2 findings: 1 warning, 1 info");
  });

  it.each([
    [["--fail-on", "warning"], 1],
    [["--fail-on", "critical"], 0],
    [["--fail-on", "warning", "--severity", "warning"], 1],
    // --fail-on takes every severity --severity takes: an info finding fails the gate at info.
    [["--fail-on", "info"], 1],
    [["--fail-on", "info", "--severity", "info"], 1],
  ])("%j exits %i", async (flags, code) => {
    expect((await runCli(["findings", ...flags], { env })).code).toBe(code);
  });

  it("passes --kind and --severity to the collector and prints JSON", async () => {
    const result = await runCli(["findings", "--severity", "warning", "-o", "json"], { env });
    expect(fake.paths.at(-1)).toBe("/api/v1/findings?severity=warning");
    expect(JSON.parse(result.stdout)).toEqual(FINDINGS.filter((f) => f.severity === "warning"));
    await runCli(["findings", "--kind", "running-stale"], { env });
    expect(fake.paths.at(-1)).toBe("/api/v1/findings?kind=running-stale");
  });

  it("refuses unknown kinds and thresholds", async () => {
    expect((await runCli(["findings", "--kind", "rusty"], { env })).code).toBe(2);
    expect((await runCli(["findings", "--fail-on", "notice"], { env })).code).toBe(2);
  });
});

describe("failsAt", () => {
  const at = (severity: "critical" | "warning" | "info") => [{ ...FINDINGS[0], severity }] as typeof FINDINGS;
  it.each([
    ["critical", "warning", true],
    ["warning", "warning", true],
    ["info", "warning", false],
    ["warning", "critical", false],
    ["critical", "critical", true],
    ["info", "info", true],
  ] as const)("a %s finding with --fail-on %s → %s", (severity, threshold, fails) => {
    expect(failsAt(at(severity), threshold)).toBe(fails);
  });
});
