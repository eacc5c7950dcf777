import { computeTagView, type TagHolding } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
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
    // Holdings are shared objects, as the interner gives them.
    const [other, first, second] = [holding(5), holding(1), holding(2)];
    const loaded = new TagIndex();
    const updated = new TagIndex();
    for (let n = 0; n < 100; n++) {
      const node = `node-${String(99 - n).padStart(3, "0")}`;
      const images = [[[TAG, H[n % 3 === 0 ? 1 : 0] ?? holding(0)] as const], [[OTHER, other] as const]];
      expect(loaded.load(node, images)).toBe(true);
      updated.update(node, new Map(images.flat()), [TAG, OTHER]);
    }
    const twice = [[[TAG, first] as const], [[OTHER, other] as const, [TAG, second] as const]];
    expect(loaded.load("twice", twice)).toBe(false);
    expect(loaded.view(TAG, undefined)).toEqual(updated.view(TAG, undefined));
    expect(loaded.view(OTHER, undefined)).toEqual(updated.view(OTHER, undefined));
    const resolution = { state: "found", digest: holding(1).digest ?? "", resolvedAt: "2025-01-01T00:00:00Z" } as const;
    expect(loaded.view(TAG, resolution)).toEqual(updated.view(TAG, resolution));
    expect(loaded.quietStatus(OTHER, undefined)).toBe("unresolved");
  });
});
