import { computeTagView, type TagHolding } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import type { ImageHoldings } from "../store/index.js";
import { TagIndex } from "./tag-index.js";

const holding = (n: number): TagHolding => ({
  digest: `sha256:${String(n).padStart(64, "0")}`,
  imageId: `sha256:${String(n + 100).padStart(64, "0")}`,
  repoDigests: [`reg.example/app@sha256:${String(n).padStart(64, "0")}`],
});
const H = [holding(1), holding(2)];
const TAG = "reg.example/app:1";

describe("TagIndex", () => {
  it("grows past its first columns, frees and reuses node ids, and gives the same view as from scratch", () => {
    const index = new TagIndex();
    const expected = new Map<string, TagHolding>();
    for (let n = 0; n < 200; n++) {
      const node = `node-${String(n).padStart(3, "0")}`;
      const held = H[n % 2] ?? holding(0);
      index.update(node, new Map([[TAG, held]]), [TAG]);
      expected.set(node, held);
    }
    for (let n = 0; n < 200; n += 3) {
      const node = `node-${String(n).padStart(3, "0")}`;
      index.update(node, new Map(), [TAG]);
      index.release(node);
      expected.delete(node);
    }
    index.update("late", new Map([[TAG, holding(3)]]), [TAG]);
    expected.set("late", holding(3));
    const scratch = computeTagView(
      TAG,
      [...expected].map(([node, held]) => ({ node, ...held })),
      undefined,
    );
    expect(index.view(TAG, undefined)).toEqual(scratch);
    expect(index.tags()).toEqual([TAG]);
    for (const node of expected.keys()) index.update(node, new Map(), [TAG]);
    expect(index.tags()).toEqual([]);
    expect(index.view(TAG, undefined)).toBeNull();
  });

  it("loads nodes from their images' holdings as update does; a tag on two images of one node falls back to update", () => {
    const OTHER = "reg.example/other:1";
    // Images are numbers shared between nodes, and their holdings shared objects, as the store gives them.
    const [other, first, second] = [holding(5), holding(1), holding(2)];
    const byImage = new Map<number, ImageHoldings>([
      [1, [[TAG, H[1] ?? holding(0)]]],
      [2, [[TAG, H[0] ?? holding(0)]]],
      [3, [[OTHER, other]]],
      [4, [[TAG, first]]],
      [
        5,
        [
          [OTHER, other],
          [TAG, second],
        ],
      ],
    ]);
    const nodes: [string, number[]][] = [];
    const updated = new TagIndex();
    for (let n = 0; n < 100; n++) {
      const node = `node-${String(99 - n).padStart(3, "0")}`;
      const images = [n % 3 === 0 ? 1 : 2, 3];
      nodes.push([node, images]);
      updated.update(node, new Map(images.flatMap((i) => byImage.get(i) ?? [])), [TAG, OTHER]);
    }
    nodes.splice(50, 0, ["twice", [4, 5]]);
    const asked: number[] = [];
    const loaded = new TagIndex();
    const left = loaded.load(nodes, (image) => {
      asked.push(image);
      return byImage.get(image) ?? [];
    });
    expect(left).toEqual(["twice"]);
    // Each image is asked for once, and again after the node with a tag twice was taken back.
    expect(asked.slice(0, 5).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(asked.slice(5).sort()).toEqual([1, 2, 3]);
    expect(loaded.view(TAG, undefined)).toEqual(updated.view(TAG, undefined));
    expect(loaded.view(OTHER, undefined)).toEqual(updated.view(OTHER, undefined));
    const resolution = { state: "found", digest: holding(1).digest ?? "", resolvedAt: "2025-01-01T00:00:00Z" } as const;
    expect(loaded.view(TAG, resolution)).toEqual(updated.view(TAG, resolution));
    expect(loaded.quietStatus(OTHER, undefined)).toBe("unresolved");
  });

  it("counts the holders of each holding: a tag is quiet once every node holds the same, whatever it held before", () => {
    // Holdings are shared objects, as the interner gives them.
    const [older, newer, third] = [holding(1), holding(2), holding(3)];
    const index = new TagIndex();
    const resolution = { state: "found", digest: newer.digest ?? "", resolvedAt: "2025-01-01T00:00:00Z" } as const;
    index.update("a", new Map([[TAG, older]]), [TAG]);
    index.update("b", new Map([[TAG, older]]), [TAG]);
    expect(index.quietStatus(TAG, undefined)).toBe("unresolved");
    expect(index.quietStatus(TAG, resolution)).toBeNull();
    index.update("a", new Map([[TAG, newer]]), [TAG]);
    expect(index.quietStatus(TAG, undefined)).toBeNull();
    index.update("b", new Map([[TAG, newer]]), [TAG]);
    expect(index.quietStatus(TAG, resolution)).toBe("current");
    // A third holding takes the place of the first, which no node holds any more.
    index.update("b", new Map([[TAG, third]]), [TAG]);
    expect(index.view(TAG, resolution)?.nodes.map((h) => [h.node, h.imageId])).toEqual([
      ["a", newer.imageId],
      ["b", third.imageId],
    ]);
    index.update("b", new Map([[TAG, newer]]), [TAG]);
    expect(index.quietStatus(TAG, resolution)).toBe("current");
  });
});
