import { describe, expect, it } from "vitest";
import { digest, found, type ImageSpec, inventory, notFound, resolveFailed, reversed, snapshot } from "./drift.fake.js";
import type { NodeTagStatus, TagResolution, TagStatus } from "./drift-types.js";
import { computeTagView, computeTagViews, type TagHolderInput, type TagHolding, tagHolders } from "./tag-view.js";

const NGINX = "docker.io/library/nginx:1.25";
const APP = "registry.example.com/team/app:v1";
const INDEX = digest("1");
const OTHER = digest("2");
const THIRD = digest("3");
const ID_AMD64 = digest("a");
const ID_ARM64 = digest("b");

describe("tagHolders", () => {
  const cases: { name: string; images: ImageSpec[]; want: Record<string, TagHolding> }[] = [
    {
      name: "multi-arch: the index digest from repoDigests, never the image id",
      images: [{ id: ID_AMD64, tags: [NGINX], digests: [`docker.io/library/nginx@${INDEX}`] }],
      want: { [NGINX]: { digest: INDEX, imageId: ID_AMD64, repoDigests: [INDEX] } },
    },
    {
      name: "no repo digest: local-only (null), the image id is not used",
      images: [{ id: ID_AMD64, tags: [APP] }],
      want: { [APP]: { digest: null, imageId: ID_AMD64, repoDigests: [] } },
    },
    {
      name: "unnormalised names are normalised",
      images: [{ id: ID_AMD64, tags: ["nginx:1.25"], digests: [`nginx@${INDEX}`] }],
      want: { [NGINX]: { digest: INDEX, imageId: ID_AMD64, repoDigests: [INDEX] } },
    },
    {
      name: "the digest must belong to the tag's repository",
      images: [
        {
          id: ID_AMD64,
          tags: [NGINX, "mirror.example.com/nginx:1.25"],
          digests: [`docker.io/library/nginx@${INDEX}`],
        },
      ],
      want: {
        [NGINX]: { digest: INDEX, imageId: ID_AMD64, repoDigests: [INDEX] },
        "mirror.example.com/nginx:1.25": { digest: null, imageId: ID_AMD64, repoDigests: [] },
      },
    },
    {
      name: "two digests of one repository (index re-pushed): the smallest, all kept as candidates",
      images: [
        {
          id: ID_AMD64,
          tags: [APP],
          digests: [`registry.example.com/team/app@${OTHER}`, `registry.example.com/team/app@${INDEX}`],
        },
      ],
      want: { [APP]: { digest: INDEX, imageId: ID_AMD64, repoDigests: [INDEX, OTHER] } },
    },
    {
      name: "several tags on one image",
      images: [
        {
          id: ID_AMD64,
          tags: [APP, "registry.example.com/team/app:latest"],
          digests: [`registry.example.com/team/app@${INDEX}`],
        },
      ],
      want: {
        [APP]: { digest: INDEX, imageId: ID_AMD64, repoDigests: [INDEX] },
        "registry.example.com/team/app:latest": { digest: INDEX, imageId: ID_AMD64, repoDigests: [INDEX] },
      },
    },
    {
      name: "invalid tags and digest-only images are skipped",
      images: [
        { id: ID_AMD64, tags: ["Bad/Name:1"], digests: [] },
        { id: ID_ARM64, tags: [], digests: [`registry.example.com/team/app@${INDEX}`] },
      ],
      want: {},
    },
    {
      name: "one tag on two images (cannot happen in containerd): the one with a digest wins",
      images: [
        { id: ID_AMD64, tags: [APP] },
        { id: ID_ARM64, tags: [APP], digests: [`registry.example.com/team/app@${INDEX}`] },
      ],
      want: { [APP]: { digest: INDEX, imageId: ID_ARM64, repoDigests: [INDEX] } },
    },
    {
      name: "one tag on two images without digests: the smaller id wins",
      images: [
        { id: ID_ARM64, tags: [APP] },
        { id: ID_AMD64, tags: [APP] },
      ],
      want: { [APP]: { digest: null, imageId: ID_AMD64, repoDigests: [] } },
    },
  ];
  it.each(cases)("$name", ({ images, want }) => {
    expect(Object.fromEntries(tagHolders(inventory("a", images)))).toEqual(want);
    expect(Object.fromEntries(tagHolders(inventory("a", [...images].reverse())))).toEqual(want);
  });
});

describe("computeTagView", () => {
  const holder = (node: string, d: string | null, extra: Partial<TagHolderInput> = {}): TagHolderInput => ({
    node,
    digest: d,
    imageId: ID_AMD64,
    ...extra,
  });
  const cases: {
    name: string;
    holders: TagHolderInput[];
    resolution: TagResolution | undefined;
    status: TagStatus;
    nodes: Record<string, [string | null, NodeTagStatus]>;
  }[] = [
    {
      name: "registry agrees",
      holders: [holder("a", INDEX)],
      resolution: found(INDEX),
      status: "current",
      nodes: { a: [INDEX, "current"] },
    },
    {
      name: "registry moved on",
      holders: [holder("a", INDEX), holder("b", INDEX)],
      resolution: found(OTHER),
      status: "stale",
      nodes: { a: [INDEX, "stale"], b: [INDEX, "stale"] },
    },
    {
      name: "two digests, one the registry's: inconsistent wins over stale",
      holders: [holder("a", INDEX), holder("b", OTHER)],
      resolution: found(OTHER),
      status: "inconsistent",
      nodes: { a: [INDEX, "stale"], b: [OTHER, "current"] },
    },
    {
      name: "two digests, registry unreachable",
      holders: [holder("b", OTHER), holder("a", INDEX)],
      resolution: resolveFailed,
      status: "inconsistent",
      nodes: { a: [INDEX, "unknown"], b: [OTHER, "unknown"] },
    },
    {
      name: "registry error: unresolved, never stale",
      holders: [holder("a", INDEX)],
      resolution: resolveFailed,
      status: "unresolved",
      nodes: { a: [INDEX, "unknown"] },
    },
    {
      name: "registry pending",
      holders: [holder("a", INDEX)],
      resolution: { state: "pending" },
      status: "unresolved",
      nodes: { a: [INDEX, "unknown"] },
    },
    {
      name: "never resolved",
      holders: [holder("a", INDEX)],
      resolution: undefined,
      status: "unresolved",
      nodes: { a: [INDEX, "unknown"] },
    },
    {
      name: "registry 404",
      holders: [holder("a", INDEX)],
      resolution: notFound,
      status: "missing-in-registry",
      nodes: { a: [INDEX, "unknown"] },
    },
    {
      name: "registry 404 beats inconsistent",
      holders: [holder("a", INDEX), holder("b", OTHER)],
      resolution: notFound,
      status: "missing-in-registry",
      nodes: { a: [INDEX, "unknown"], b: [OTHER, "unknown"] },
    },
    {
      name: "no digest anywhere: local-only, even when the registry has the tag",
      holders: [holder("a", null), holder("b", null)],
      resolution: found(INDEX),
      status: "local-only",
      nodes: { a: [null, "unknown"], b: [null, "unknown"] },
    },
    {
      name: "no digest anywhere, registry 404: local-only first",
      holders: [holder("a", null)],
      resolution: notFound,
      status: "local-only",
      nodes: { a: [null, "unknown"] },
    },
    {
      name: "one local image next to a current node: current, the local one unknown",
      holders: [holder("a", INDEX), holder("b", null)],
      resolution: found(INDEX),
      status: "current",
      nodes: { a: [INDEX, "current"], b: [null, "unknown"] },
    },
    {
      name: "a null digest does not make a tag inconsistent",
      holders: [holder("a", INDEX), holder("b", null)],
      resolution: undefined,
      status: "unresolved",
      nodes: { a: [INDEX, "unknown"], b: [null, "unknown"] },
    },
    {
      name: "stale on one node, other node without digest",
      holders: [holder("a", INDEX), holder("b", null)],
      resolution: found(OTHER),
      status: "stale",
      nodes: { a: [INDEX, "stale"], b: [null, "unknown"] },
    },
    {
      name: "several candidate digests: the registry's is chosen",
      holders: [holder("a", INDEX, { repoDigests: [INDEX, OTHER] }), holder("b", OTHER)],
      resolution: found(OTHER),
      status: "current",
      nodes: { a: [OTHER, "current"], b: [OTHER, "current"] },
    },
    {
      name: "several candidates, registry unresolved: the shared one, so not inconsistent",
      holders: [holder("a", INDEX, { repoDigests: [INDEX, THIRD] }), holder("b", THIRD), holder("c", THIRD)],
      resolution: undefined,
      status: "unresolved",
      nodes: { a: [THIRD, "unknown"], b: [THIRD, "unknown"], c: [THIRD, "unknown"] },
    },
    {
      name: "several candidates, none the registry's: stale",
      holders: [holder("a", INDEX, { repoDigests: [INDEX, OTHER] })],
      resolution: found(THIRD),
      status: "stale",
      nodes: { a: [INDEX, "stale"] },
    },
  ];
  it.each(cases)("$name", ({ holders, resolution, status, nodes }) => {
    for (const order of [holders, [...holders].reverse()]) {
      const view = computeTagView(APP, order, resolution);
      expect(view.status).toBe(status);
      expect(view.nodes.map((h) => h.node)).toEqual(Object.keys(nodes).sort());
      expect(Object.fromEntries(view.nodes.map((h) => [h.node, [h.digest, h.status]]))).toEqual(nodes);
    }
  });

  it("reports the registry's answer", () => {
    expect(computeTagView(APP, [holder("a", INDEX)], found(INDEX))).toMatchObject({
      reference: APP,
      registryDigest: INDEX,
      resolvedAt: "2026-01-01T11:59:00.000Z",
      resolveError: null,
      resolvedBy: null,
    });
    expect(computeTagView(APP, [holder("a", INDEX)], resolveFailed)).toMatchObject({
      registryDigest: null,
      resolvedAt: "2026-01-01T11:59:00.000Z",
      resolveError: "dial tcp: connection refused",
    });
    expect(computeTagView(APP, [holder("a", INDEX)], notFound)).toMatchObject({
      registryDigest: null,
      resolveError: null,
      resolvedBy: null,
    });
    expect(computeTagView(APP, [holder("a", INDEX)], { state: "pending" })).toMatchObject({ resolvedAt: null });
    expect(computeTagView(APP, [holder("a", INDEX)], undefined)).toMatchObject({
      resolvedAt: null,
      resolveError: null,
      resolvedBy: null,
    });
  });

  it("keeps each holder's image id", () => {
    const view = computeTagView(NGINX, [holder("b", INDEX, { imageId: ID_ARM64 }), holder("a", INDEX)], found(INDEX));
    expect(view.nodes).toEqual([
      { node: "a", digest: INDEX, imageId: ID_AMD64, status: "current" },
      { node: "b", digest: INDEX, imageId: ID_ARM64, status: "current" },
    ]);
    expect(view.status).toBe("current");
  });
});

describe("computeTagViews", () => {
  const cluster = snapshot({
    nodes: {
      "node-b": [
        { id: ID_ARM64, tags: [NGINX], digests: [`docker.io/library/nginx@${INDEX}`] },
        { id: digest("c"), tags: [APP], digests: [`registry.example.com/team/app@${OTHER}`] },
      ],
      "node-a": [
        { id: ID_AMD64, tags: [NGINX], digests: [`docker.io/library/nginx@${INDEX}`] },
        { id: digest("d"), tags: [APP], digests: [`registry.example.com/team/app@${THIRD}`] },
        { id: digest("e"), tags: ["localhost:5000/dev:latest"] },
      ],
    },
    resolutions: { [NGINX]: found(INDEX), [APP]: found(OTHER) },
  });

  it("lists every tag, sorted, holders sorted by node", () => {
    const views = computeTagViews(cluster);
    expect(views.map((v) => [v.reference, v.status, v.nodes.map((h) => `${h.node}:${h.status}`)])).toEqual([
      [NGINX, "current", ["node-a:current", "node-b:current"]],
      ["localhost:5000/dev:latest", "local-only", ["node-a:unknown"]],
      [APP, "inconsistent", ["node-a:stale", "node-b:current"]],
    ]);
  });

  it("multi-arch: nodes of different platforms hold one index digest and agree", () => {
    const nginx = computeTagViews(cluster).find((v) => v.reference === NGINX);
    expect(nginx?.nodes.map((h) => h.imageId)).toEqual([ID_AMD64, ID_ARM64]);
    expect(nginx?.status).toBe("current");
  });

  it("does not depend on the order of inventories, images or names", () => {
    expect(computeTagViews(reversed(cluster))).toEqual(computeTagViews(cluster));
  });

  it("is empty for an empty cluster", () => {
    expect(computeTagViews(snapshot({ nodes: {} }))).toEqual([]);
  });
});
