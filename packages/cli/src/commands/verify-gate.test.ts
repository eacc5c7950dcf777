/**
 * verify as an honest gate: containers still on an old digest are always
 * listed (and fail it with --fail-on-running-stale), a tag's registry state is
 * worded as `tags` words it, and --digest takes a prefix as tables print it.
 */

import { type FindingItem, summaryOfTag, type TagView } from "@imagedrift/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cannedRoutes, digest, NGINX, NOW, TAGS } from "../api-fixtures.fake.js";
import { runCli } from "../cli-harness.fake.js";
import { FakeCollector } from "../collector.fake.js";

const API = "registry.example.com/shop/api:stable";
const LOCAL = "registry.example.com/shop/tool:dev";
/** Two digests sharing their first 12 hex digits, for an ambiguous prefix. */
const TWIN_A = `sha256:${"c".repeat(12)}${"1".repeat(52)}`;
const TWIN_B = `sha256:${"c".repeat(12)}${"2".repeat(52)}`;
const TWINS = "registry.example.com/shop/twins:1";

const holder = (node: string, d: string | null) => ({
  node,
  digest: d,
  imageId: digest("9"),
  status: "unknown" as const,
});
const at = NOW.toISOString();

const tags: TagView[] = [
  ...TAGS,
  {
    reference: API,
    registryDigest: digest("f"),
    resolvedAt: at,
    resolveError: null,
    resolvedBy: null,
    status: "current",
    nodes: [
      { ...holder("worker-1", digest("f")), status: "current" },
      { ...holder("worker-2", digest("f")), status: "current" },
    ],
  },
  // Never pushed: no repo digest on the node, and the registry answered 404.
  {
    reference: LOCAL,
    registryDigest: null,
    resolvedAt: at,
    resolveError: null,
    resolvedBy: null,
    status: "local-only",
    nodes: [holder("worker-1", null)],
  },
  {
    reference: TWINS,
    registryDigest: null,
    resolvedAt: at,
    resolveError: "registry.example.com: 503",
    resolvedBy: "poll",
    status: "inconsistent",
    nodes: [holder("worker-1", TWIN_A), holder("worker-2", TWIN_B)],
  },
];

const pod = (node: string, name: string) => ({
  node,
  namespace: "shop",
  pod: name,
  container: "api",
  containerId: `${name}-container`,
  digest: digest("0"),
});

const runningStale: FindingItem = {
  id: `running-stale:${API}`,
  kind: "running-stale",
  severity: "critical",
  reference: API,
  nodes: ["worker-1", "worker-2"],
  digests: [digest("0")],
  registryDigest: digest("f"),
  firstSeenAt: at,
  lastSeenAt: at,
  message: "registry.example.com/shop/api:stable: 2 containers run an image the tag no longer points at",
  remedy: "kubectl -n shop delete pod api-1 api-2",
  pods: [pod("worker-1", "api-1"), pod("worker-2", "api-2")],
};

let fake: FakeCollector;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await FakeCollector.start({
    routes: {
      ...cannedRoutes(),
      "/api/v1/tags": { body: { items: tags } },
      "/api/v1/tags?view=summary": { body: { items: tags.map(summaryOfTag) } },
      "/api/v1/findings?kind=running-stale": { body: { items: [runningStale] } },
    },
  });
  env = { IMAGEDRIFT_SERVER: fake.url };
});
afterAll(() => fake.close());

describe("verify and containers still running an old digest", () => {
  it("passes when the nodes hold the new digest, but lists the containers and how to restart them", async () => {
    const result = await runCli(["verify", API], { env });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain(
      [
        "! registry.example.com/shop/api:stable: 2 containers still run an old digest:",
        "    shop/api-1 (api) on worker-1 runs sha256:000000000000",
        "    shop/api-2 (api) on worker-2 runs sha256:000000000000",
        "    restart: kubectl -n shop delete pod api-1 api-2",
      ].join("\n"),
    );
    expect(result.stdout).toMatch(
      /verify passed: 1 reference at the expected digest on 2 nodes, but 2 containers still run an old digest: restart them \(listed above\), or add --fail-on-running-stale to fail the gate on this\n$/,
    );
    expect(fake.paths).toContain("/api/v1/findings?kind=running-stale");
  });

  it("fails the gate with --fail-on-running-stale (after a rollout)", async () => {
    const result = await runCli(["verify", API, "--fail-on-running-stale"], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("✗ registry.example.com/shop/api:stable: 2 containers still run an old digest:");
    expect(result.stdout).toMatch(
      /verify failed: registry\.example\.com\/shop\/api:stable \(2 containers still on an old digest\)\n$/,
    );
    expect((await runCli(["verify", NGINX, "--fail-on-running-stale"], { env })).code).toBe(0);
  });

  it("counts only the containers on the checked nodes", async () => {
    const result = await runCli(["verify", API, "--nodes", "worker-2", "--fail-on-running-stale", "-o", "json"], {
      env,
    });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).references[0].runningStale).toEqual([pod("worker-2", "api-2")]);
  });
});

describe("verify words a tag's registry state as tags does", () => {
  it("calls a never-pushed tag local-only and not in the registry, not unresolved", async () => {
    const result = await runCli(["verify", LOCAL], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "✗ registry.example.com/shop/tool:dev: no registry digest to compare with (local-only: no node has a repo digest for it (built or imported there, never pulled); not in the registry (HTTP 404)); pass --digest",
    );
    const table = await runCli(["tags"], { env: { ...env } });
    expect(table.stdout).toMatch(
      /shop\/tool:dev .*local-only: no node has a repo digest for it \(built or imported there, never pulled\); not in the registry \(HTTP 404\)/,
    );
  });
});

describe("verify --digest takes a prefix of a digest the collector knows", () => {
  it("completes 12 or more hex digits, with or without sha256:", async () => {
    for (const prefix of ["ffffffffffff", "sha256:ffffffffffff", "FFFFFFFFFFFFFFFF"]) {
      const result = await runCli(["verify", API, "--digest", prefix, "-o", "json"], { env });
      expect(result.code, prefix).toBe(0);
      expect(JSON.parse(result.stdout).references[0]).toMatchObject({
        expectedDigest: digest("f"),
        expectedFrom: "flag",
      });
    }
    const onNode = await runCli(["verify", TWINS, "--nodes", "worker-1", "--digest", `${"c".repeat(12)}1`], { env });
    expect(onNode.code).toBe(0);
  });

  it("exits 2 listing the candidates when the prefix is ambiguous, or naming what it knows when it matches none", async () => {
    const ambiguous = await runCli(["verify", TWINS, "--digest", "cccccccccccc"], { env });
    expect(ambiguous).toMatchObject({ code: 2, stdout: "" });
    expect(ambiguous.stderr).toBe(
      `imagedrift: --digest sha256:cccccccccccc is ambiguous for ${TWINS}: it starts 2 digests the collector knows, give more digits:\n  ${TWIN_A}\n  ${TWIN_B}\n`,
    );
    const none = await runCli(["verify", API, "--digest", "123456789abc"], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /--digest sha256:123456789abc is no digest the collector knows for registry\.example\.com\/shop\/api:stable/,
    );
    expect((await runCli(["verify", API, "--digest", "fffff"], { env })).code).toBe(2);
    // A whole digest needs no lookup: the gate compares with it.
    expect((await runCli(["verify", API, "--digest", digest("1")], { env })).code).toBe(1);
  });
});
