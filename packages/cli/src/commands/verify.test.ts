import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP, CACHE, cannedRoutes, digest } from "../api-fixtures.fake.js";
import { runCli } from "../cli-harness.fake.js";
import { FakeCollector } from "../collector.fake.js";

let fake: FakeCollector;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await FakeCollector.start({ routes: cannedRoutes() });
  env = { IMAGEDRIFT_SERVER: fake.url };
});
afterAll(() => fake.close());

describe("imagedrift verify REF...", () => {
  it("exits 0 when every reporting node holds the registry's digest", async () => {
    const result = await runCli(["verify", "nginx:1.27"], { env });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      [
        "✓   nginx:1.27   worker-1   sha256:aaaaaaaaaaaa",
        "✓   nginx:1.27   worker-2   sha256:aaaaaaaaaaaa",
        "",
        "verify passed: 1 reference at the expected digest on 2 nodes",
        "",
      ].join("\n"),
    );
  });

  it("exits 1 naming each node that fails, and why", async () => {
    const result = await runCli(["verify", "nginx:1.27", APP, CACHE], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "✗   registry.example.com/team/app:2.4.1   worker-2   sha256:dddddddddddd   expected sha256:bbbbbbbbbbbb",
    );
    expect(result.stdout).toMatch(
      /✗ registry\.example\.com\/team\/cache:7: no registry digest to compare with \(registry unresolved: .*\); pass --digest/,
    );
    expect(result.stdout).toMatch(
      /verify failed: registry\.example\.com\/team\/app:2\.4\.1 \(1 of 2 nodes\), registry\.example\.com\/team\/cache:7 \(2 of 2 nodes\)\n$/,
    );
  });

  it("checks only --nodes, against --digest", async () => {
    expect((await runCli(["verify", APP, "--nodes", "worker-1"], { env })).code).toBe(0);
    expect((await runCli(["verify", APP, "--nodes", "worker-2", "--digest", digest("d")], { env })).code).toBe(0);
    expect((await runCli(["verify", CACHE, "--digest", digest("e")], { env })).code).toBe(0);
    expect((await runCli(["verify", "nginx:1.27", "--nodes", "worker-1,worker-9"], { env })).code).toBe(2);
  });

  it("prints the result object as JSON", async () => {
    const result = await runCli(["verify", APP, "-o", "json"], { env });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      passed: false,
      nodes: ["worker-1", "worker-2"],
      problem: null,
      failOnRunningStale: false,
      references: [
        {
          input: APP,
          reference: APP,
          tagStatus: "stale",
          expectedDigest: digest("b"),
          expectedFrom: "registry",
          passed: false,
          problem: null,
          nodes: [
            { node: "worker-1", digest: digest("b"), passed: true, reason: "" },
            { node: "worker-2", digest: digest("d"), passed: false, reason: "expected sha256:bbbbbbbbbbbb" },
          ],
          runningStale: [],
          restart: "",
        },
      ],
    });
  });

  it("exits 2 for a bad reference or digest, before asking the collector", async () => {
    const before = fake.requests.length;
    const bad = await runCli(["verify", "nginx:1.27", "MyApp:1"], { env });
    expect(bad).toMatchObject({
      code: 2,
      stdout: "",
      stderr: 'imagedrift: invalid reference "MyApp:1": repository name must be lowercase\n',
    });
    expect((await runCli(["verify", "nginx:1.27", "--digest", "sha256:nope"], { env })).code).toBe(2);
    expect((await runCli(["verify", "nginx:1.27", "--nodes", ","], { env })).code).toBe(2);
    expect((await runCli(["verify"], { env })).code).toBe(2);
    expect(fake.requests.length).toBe(before);
  });
});
