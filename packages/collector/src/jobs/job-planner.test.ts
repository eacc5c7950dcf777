import {
  type ImagedriftError,
  type JobRequest,
  type NodeImage,
  type NodeInventory,
  type TagResolution,
  type TagView,
  tryCatch,
} from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { type PlanInput, planJob } from "./job-planner.js";
import type { KnownNode } from "./node-selection.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const APP = "reg.example/shop/app:latest";
const WEB = "reg.example/shop/web:1";

const node = (name: string, over: Partial<KnownNode> = {}): KnownNode => ({
  name,
  labels: {},
  missing: false,
  lastReportAt: "2026-01-01T00:00:00Z",
  ...over,
});

const found = (digest: string): TagResolution => ({ state: "found", digest, resolvedAt: "2026-01-01T00:00:00Z" });

/** APP: registry at digest 2; n1 current, n2 and n3 stale (digest 1, image a). WEB: current on n1. */
const views: TagView[] = [
  {
    reference: APP,
    registryDigest: d("2"),
    resolvedAt: "2026-01-01T00:00:00Z",
    resolveError: null,
    resolvedBy: null,
    status: "inconsistent",
    nodes: [
      { node: "n1", digest: d("2"), imageId: d("b"), status: "current" },
      { node: "n2", digest: d("1"), imageId: d("a"), status: "stale" },
      { node: "n3", digest: d("1"), imageId: d("c"), status: "stale" },
    ],
  },
  {
    reference: WEB,
    registryDigest: d("9"),
    resolvedAt: "2026-01-01T00:00:00Z",
    resolveError: null,
    resolvedBy: null,
    status: "current",
    nodes: [{ node: "n1", digest: d("9"), imageId: d("e"), status: "current" }],
  },
  {
    reference: "reg.example/gone:1",
    registryDigest: null,
    resolvedAt: "2026-01-01T00:00:00Z",
    resolveError: null,
    resolvedBy: null,
    status: "missing-in-registry",
    nodes: [{ node: "n2", digest: d("8"), imageId: d("f"), status: "unknown" }],
  },
];

const image = (id: string, repoTags: string[]): NodeImage => ({
  id,
  repoTags,
  repoDigests: [],
  size: 1,
  pinned: false,
  sandbox: false,
  inUse: false,
  containers: [],
});

const inventories: Record<string, NodeInventory> = {
  n2: {
    node: "n2",
    runtime: { name: "containerd", version: "2", apiVersion: "v1" },
    scannedAt: "2026-01-01T00:00:00Z",
    images: [image(d("a"), [APP])],
    pods: [],
    imageFs: { mountpoint: "/", usedBytes: 1, inodesUsed: null },
  },
  n3: {
    node: "n3",
    runtime: { name: "containerd", version: "2", apiVersion: "v1" },
    scannedAt: "2026-01-01T00:00:00Z",
    images: [image(d("c"), [APP, "reg.example/shop/app:v1"])],
    pods: [],
    imageFs: { mountpoint: "/", usedBytes: 1, inodesUsed: null },
  },
};

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    nodes: [node("n1", { labels: { zone: "a" } }), node("n2", { labels: { zone: "b" } }), node("n3")],
    tagViews: views,
    resolutions: new Map([
      [APP, found(d("2"))],
      [WEB, found(d("9"))],
      ["docker.io/library/nginx:1.27", found(d("7"))],
      ["reg.example/gone:1", { state: "not-found", resolvedAt: "2026-01-01T00:00:00Z" }],
    ]),
    inventory: (name) => inventories[name],
    ...over,
  };
}

function failure(request: JobRequest, over: Partial<PlanInput> = {}): ImagedriftError | undefined {
  return tryCatch(() => planJob(request, input(over))).error;
}

const summary = (request: JobRequest, over: Partial<PlanInput> = {}) =>
  planJob(request, input(over)).nodes.map((n) => [n.node, n.state, n.message]);

describe("node selection", () => {
  it.each([
    [{ type: "prepull", images: ["nginx"] }, ["n1", "n2", "n3"]],
    [{ type: "prepull", images: ["nginx"], nodes: ["n3", "n1", "n3"] }, ["n1", "n3"]],
    [{ type: "prepull", images: ["nginx"], nodeSelector: { zone: "b" } }, ["n2"]],
    [{ type: "prepull", images: ["nginx"], nodes: ["n1", "n2"], nodeSelector: { zone: "a" } }, ["n1"]],
    [{ type: "prepull", images: ["nginx"], nodeSelector: {} }, ["n1", "n2", "n3"]],
  ] as [JobRequest, string[]][])("%j → %j", (request, expected) => {
    expect(planJob(request, input()).nodes.map((n) => n.node)).toEqual(expected);
  });

  it.each([
    [{ nodes: ["n1", "ghost"] }, "invalid-argument", /unknown node "ghost" \(known nodes: n1, n2, n3\)/],
    [{ nodeSelector: { zone: "z" } }, "invalid-argument", /nodeSelector zone=z matches no node/],
  ] as [Partial<JobRequest>, string, RegExp][])("rejects %j", (extra, code, message) => {
    const error = failure({ type: "prepull", images: ["nginx"], ...extra });
    expect(error?.code).toBe(code);
    expect(error?.message).toMatch(message);
  });

  it("refuses a selector clearly when no node has labels", () => {
    const error = failure(
      { type: "prepull", images: ["nginx"], nodeSelector: { zone: "a" } },
      { nodes: [node("n1"), node("n2")] },
    );
    expect(error?.code).toBe("invalid-argument");
    expect(error?.message).toBe(
      "nodeSelector: no label source: start agents with --node-labels or enable the Kubernetes API",
    );
  });

  it("refuses when no node is known", () => {
    expect(failure({ type: "prepull", images: ["nginx"] }, { nodes: [] })?.code).toBe("failed-precondition");
  });

  it("skips missing agents chosen by default, but tries one named explicitly", () => {
    const nodes = [node("n1"), node("n2", { missing: true, lastReportAt: "2026-01-01T00:00:00Z" })];
    expect(summary({ type: "prepull", images: ["nginx"] }, { nodes })).toEqual([
      ["n1", "pending", ""],
      ["n2", "skipped", "agent missing: no report since 2026-01-01T00:00:00Z"],
    ]);
    expect(summary({ type: "prepull", images: ["nginx"], nodes: ["n2"] }, { nodes })).toEqual([["n2", "pending", ""]]);
  });
});

describe("prepull", () => {
  it("normalises references and expects the registry's digest (null when unresolved; a digest ref its own)", () => {
    const plan = planJob(
      {
        type: "prepull",
        images: ["nginx:1.27", "docker.io/library/nginx:1.27", `reg.example/x@${d("5")}`, "reg.example/new:1"],
      },
      input({ nodes: [node("n1")] }),
    );
    expect(plan.request.images).toEqual([
      "docker.io/library/nginx:1.27",
      `reg.example/x@${d("5")}`,
      "reg.example/new:1",
    ]);
    expect(plan.nodes[0]?.steps).toEqual([
      {
        type: "pull",
        dryRun: false,
        images: [
          { ref: "docker.io/library/nginx:1.27", expectedDigest: d("7") },
          { ref: `reg.example/x@${d("5")}`, expectedDigest: d("5") },
          { ref: "reg.example/new:1", expectedDigest: null },
        ],
      },
    ]);
  });

  it("names an invalid reference and the rule it breaks", () => {
    const error = failure({ type: "prepull", images: ["nginx", "Reg.example/App:1"] });
    expect(error?.code).toBe("invalid-reference");
    expect(error?.message).toMatch(
      /^images\[1\]: invalid reference "Reg.example\/App:1": repository name must be lowercase/,
    );
  });
});

describe("refresh", () => {
  it("pulls again exactly where the node's digest differs from the registry's", () => {
    const plan = planJob({ type: "refresh", images: ["reg.example/shop/app"] }, input());
    expect(plan.nodes.map((n) => [n.node, n.state, n.message])).toEqual([
      ["n1", "skipped", "already current"],
      ["n2", "pending", ""],
      ["n3", "pending", ""],
    ]);
    expect(plan.nodes[1]?.steps).toEqual([
      { type: "pull", dryRun: false, images: [{ ref: APP, expectedDigest: d("2") }] },
    ]);
  });

  it("without images takes every stale or inconsistent tag; nodes holding none are skipped", () => {
    const plan = planJob({ type: "refresh", dryRun: true }, input({ nodes: [node("n1"), node("n2"), node("n4")] }));
    expect(plan.nodes.map((n) => [n.node, n.state, n.message])).toEqual([
      ["n1", "skipped", "already current"],
      ["n2", "pending", ""],
      ["n4", "skipped", "already current"],
    ]);
    expect(plan.nodes[1]?.steps[0]).toMatchObject({ type: "pull", dryRun: true });
    expect(summary({ type: "refresh", images: [APP] }, { nodes: [node("n4")] })).toEqual([
      ["n4", "skipped", `does not hold ${APP}`],
    ]);
  });

  it("removeReplaced removes the old image after the pull, unless other tags still name it", () => {
    const plan = planJob({ type: "refresh", images: [APP], removeReplaced: true }, input());
    expect(plan.nodes.find((n) => n.node === "n2")?.steps.map((s) => s.type)).toEqual(["pull", "remove"]);
    expect(plan.nodes.find((n) => n.node === "n2")?.steps[1]).toEqual({
      type: "remove",
      imageIds: [d("a")],
      dryRun: false,
      allowUnrecoverable: false,
    });
    // n3's old image is also reg.example/shop/app:v1: removing it would take that tag too.
    expect(plan.nodes.find((n) => n.node === "n3")?.steps.map((s) => s.type)).toEqual(["pull"]);
  });

  it.each([
    [["reg.example/gone:1"], "failed-precondition", /reg.example\/gone:1 is not in its registry \(404\)/],
    [["reg.example/nobody:1"], "failed-precondition", /no node holds reg.example\/nobody:1/],
    [[`${APP.replace(":latest", "")}@${d("2")}`], "invalid-argument", /refresh takes tags, not digests/],
  ] as [string[], string, RegExp][])("refuses %j", (images, code, message) => {
    const error = failure({ type: "refresh", images });
    expect(error?.code).toBe(code);
    expect(error?.message).toMatch(message);
  });

  it("refuses a held tag whose registry digest is not known", () => {
    const error = failure({ type: "refresh", images: [APP] }, { resolutions: new Map() });
    expect(error?.code).toBe("failed-precondition");
    expect(error?.message).toMatch(/has no registry digest yet \(not resolved yet\): cannot tell which nodes differ/);
  });
});

describe("prune", () => {
  it("plans the policy on every target; facts come when sending", () => {
    const plan = planJob({ type: "prune", policy: { mode: "unused", olderThanMs: 1000 }, nodes: ["n2"] }, input());
    expect(plan.nodes).toEqual([
      {
        node: "n2",
        state: "pending",
        message: "",
        steps: [
          {
            type: "prune",
            policy: { mode: "unused", olderThanMs: 1000 },
            dryRun: false,
            allowUnrecoverable: false,
            protect: [],
            lastUsed: {},
            staleImageIds: [],
          },
        ],
      },
    ]);
  });
});
