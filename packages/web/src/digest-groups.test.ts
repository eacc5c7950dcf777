import { describe, expect, it } from "vitest";
import type { TagView } from "./api-types.js";
import { buildRow } from "./digest-groups.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;

function tag(
  nodes: [string, string | null, "current" | "stale" | "unknown"][],
  registryDigest: string | null,
): TagView {
  return {
    reference: "reg.example/shop/web:latest",
    registryDigest,
    resolvedAt: null,
    resolveError: null,
    resolvedBy: null,
    status: "inconsistent",
    nodes: nodes.map(([node, digest, status]) => ({ node, digest, imageId: `sha256:id-${node}`, status })),
  };
}

describe("buildRow", () => {
  it("puts the registry's digest first, then the most held, and groups equal digests", () => {
    const row = buildRow(
      tag(
        [
          ["n1", d("a"), "stale"],
          ["n2", d("b"), "current"],
          ["n3", d("a"), "stale"],
          ["n4", d("c"), "stale"],
        ],
        d("b"),
      ),
    );
    expect(row.groups.map((g) => [g.digest, g.nodes, g.matchesRegistry])).toEqual([
      [d("b"), ["n2"], true],
      [d("a"), ["n1", "n3"], false],
      [d("c"), ["n4"], false],
    ]);
    expect(row.groupOfNode.get("n3")?.index).toBe(1);
    expect(row.holders.get("n4")?.status).toBe("stale");
    expect(row.holders.has("n5")).toBe(false);
  });

  it("keeps A for the registry's digest: with no node holding it, letters start at B", () => {
    const row = buildRow(
      tag(
        [
          ["n1", d("a"), "stale"],
          ["n2", d("c"), "stale"],
        ],
        d("b"),
      ),
    );
    expect(row.groups.map((g) => g.index)).toEqual([1, 2]);
    expect(buildRow(tag([["n1", d("a"), "unknown"]], null)).groups.map((g) => g.index)).toEqual([1]);
  });

  it("counts a node holding the registry's image for its platform (index moved) as the registry's", () => {
    const view = tag([["n1", d("a"), "current"]], d("b"));
    const [holder] = view.nodes;
    if (holder) holder.platformMatch = true;
    expect(buildRow(view).groups.map((g) => [g.index, g.matchesRegistry])).toEqual([[0, true]]);
  });

  it("groups images without a repo digest by image id", () => {
    const row = buildRow(
      tag(
        [
          ["n1", null, "unknown"],
          ["n2", null, "unknown"],
        ],
        null,
      ),
    );
    expect(row.groups.map((g) => g.key)).toEqual(["image:sha256:id-n1", "image:sha256:id-n2"]);
  });
});
