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
});
