import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ContainerSpec, digest, found, type ImageSpec, notFound, resolveFailed, snapshot } from "./drift.fake.js";
import type { TagResolution, TagView } from "./drift-types.js";
import { sortedUnique } from "./finding-text.js";
import { computeFindings, mergeFindings, nodeFindings, tagFindings } from "./findings.js";
import { computeTagView, computeTagViews, type TagHolderInput, tagHolders } from "./tag-view.js";

const APP = "registry.example.com/team/app";
const NGINX = "docker.io/library/nginx";
const TAGS = [`${APP}:v1`, `${APP}:v2`, "nginx:latest", "Bad/Name:1"];
const ENTRIES = [`${APP}@${digest("1")}`, `${APP}@${digest("2")}`, `nginx@${digest("1")}`, `${NGINX}@${digest("3")}`];
const IDS = [digest("a"), digest("b"), digest("c")];
const RESOLUTIONS: (TagResolution | undefined)[] = [
  found(digest("1")),
  found(digest("2")),
  found(digest("3")),
  notFound,
  resolveFailed,
  undefined,
];

const containerArb = fc.record({
  state: fc.constantFrom("running", "exited", "created" as const),
  image: fc.constantFrom(undefined, `${APP}:v1`, `${APP}@${digest("1")}`, "nginx"),
});
const imageArb = fc.record({
  id: fc.constantFrom(...IDS),
  tags: fc.subarray(TAGS, { maxLength: 2 }),
  digests: fc.subarray(ENTRIES, { maxLength: 2 }),
  containers: fc.array(containerArb, { maxLength: 2 }),
});
/** Nodes mostly alike (the images of a shared pool, some left out), as in a real cluster, sometimes different. */
const clusterArb = fc
  .record({
    pool: fc.array(imageArb, { maxLength: 5 }),
    nodes: fc.array(
      fc.record({
        keep: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        own: fc.array(imageArb, { maxLength: 2 }),
      }),
      {
        maxLength: 12,
      },
    ),
    resolutions: fc.array(fc.constantFrom(...RESOLUTIONS.keys()), { minLength: 3, maxLength: 3 }),
  })
  .map(({ pool, nodes, resolutions }) => {
    let next = 0;
    const withIds = (spec: {
      id: string;
      tags: string[];
      digests: string[];
      containers: { state: ContainerSpec["state"]; image: string | undefined }[];
    }): ImageSpec => ({
      ...spec,
      containers: spec.containers.map((c) => ({
        id: `c${next++}`,
        state: c.state,
        ...(c.image === undefined ? {} : { image: c.image }),
      })),
    });
    const names = nodes.map((_, i) => `node-${String(i).padStart(2, "0")}`);
    return snapshot({
      nodes: Object.fromEntries(
        nodes.map((n, i) => [names[i], [...pool.filter((_, p) => n.keep[p]), ...n.own].map(withIds)]),
      ),
      resolutions: Object.fromEntries(
        [`${APP}:v1`, `${APP}:v2`, `${NGINX}:latest`].flatMap((tag, i) => {
          const resolution = RESOLUTIONS[resolutions[i] ?? 0];
          return resolution === undefined ? [] : [[tag, resolution] as const];
        }),
      ),
      silentMs: { "node-01": 600_000 },
    });
  });

/** computeTagViews the plain way: every inventory's tagHolders, then computeTagView per tag. */
function referenceViews(s: ReturnType<typeof snapshot>): TagView[] {
  const byTag = new Map<string, TagHolderInput[]>();
  for (const [node, inventory] of s.inventories) {
    for (const [tag, holding] of tagHolders(inventory))
      byTag.set(tag, [...(byTag.get(tag) ?? []), { node, ...holding }]);
  }
  return sortedUnique(byTag.keys()).map((tag) => computeTagView(tag, byTag.get(tag) ?? [], s.resolutions.get(tag)));
}

describe("tag columns (the one pass behind computeTagViews and computeFindings)", () => {
  it("give the views that tagHolders and computeTagView give", () => {
    fc.assert(
      fc.property(clusterArb, (s) => {
        expect(computeTagViews(s)).toEqual(referenceViews(s));
      }),
      { seed: 20260101, numRuns: 400 },
    );
  });

  it("give the findings of tagFindings per view and nodeFindings per node, merged", () => {
    fc.assert(
      fc.property(clusterArb, (s) => {
        const nodes = sortedUnique([...s.nodes.map((n) => n.name), ...s.inventories.keys()]);
        const drafts = [
          ...referenceViews(s).flatMap((view) => tagFindings(view, s)),
          ...nodes.flatMap((node) => nodeFindings(node, s)),
        ];
        expect(computeFindings(s)).toEqual(mergeFindings(drafts, s));
      }),
      { seed: 20260102, numRuns: 400 },
    );
  });
});
