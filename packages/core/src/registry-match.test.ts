import { describe, expect, it } from "vitest";
import type { TagResolution } from "./drift-types.js";
import { holdsDigest, registryMatch, shownDigest } from "./registry-match.js";
import { computeTagView } from "./tag-view.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const [OLD_INDEX, NEW_INDEX, OTHER] = [d("b"), d("a"), d("c")];
const [AMD64_IMAGE, ARM64_IMAGE, OLD_AMD64_IMAGE] = [d("1"), d("2"), d("3")];
const at = "2024-01-01T00:00:00.000Z";
const found = (platformImages?: string[]): TagResolution => ({
  state: "found",
  digest: NEW_INDEX,
  resolvedAt: at,
  ...(platformImages ? { platformImages } : {}),
});
const REF = "r.example/app:1";

describe("registryMatch", () => {
  it("matches when any repo digest is the registry's, whichever sorts first", () => {
    for (const candidates of [
      [NEW_INDEX, OLD_INDEX],
      [OLD_INDEX, NEW_INDEX],
    ]) {
      expect(registryMatch({ candidates, imageId: AMD64_IMAGE }, found())).toBe("digest");
    }
  });

  it("matches by platform when the image is what the registry's index gives some platform", () => {
    const holding = { candidates: [OLD_INDEX], imageId: AMD64_IMAGE };
    expect(registryMatch(holding, found([AMD64_IMAGE, ARM64_IMAGE]))).toBe("platform");
    expect(registryMatch(holding, found())).toBe("differs");
    expect(registryMatch({ candidates: [OLD_INDEX], imageId: OLD_AMD64_IMAGE }, found([AMD64_IMAGE]))).toBe("differs");
    expect(registryMatch({ candidates: [], imageId: AMD64_IMAGE }, found([AMD64_IMAGE]))).toBe("unknown");
    expect(registryMatch(holding, { state: "not-found", resolvedAt: at })).toBe("unknown");
  });

  it("names the registry's digest among several", () => {
    expect(shownDigest([NEW_INDEX, OLD_INDEX].sort(), OLD_INDEX)).toBe(OLD_INDEX);
    expect(shownDigest([NEW_INDEX, OLD_INDEX].sort(), OTHER)).toBe([NEW_INDEX, OLD_INDEX].sort()[0]);
    expect(shownDigest([], OTHER)).toBeNull();
  });
});

describe("computeTagView with an index re-pushed with another platform changed", () => {
  const holders = [
    { node: "n1", digest: OLD_INDEX, imageId: AMD64_IMAGE },
    // n2 re-pulled: one image, both indexes' repo digests, the old one sorting first.
    { node: "n2", digest: NEW_INDEX, imageId: AMD64_IMAGE, repoDigests: [NEW_INDEX, OLD_INDEX].sort() },
    { node: "n3", digest: OTHER, imageId: OLD_AMD64_IMAGE },
  ];

  it("reads the re-pulled node current, the unpulled one current by platform, the rebuilt one stale", () => {
    const view = computeTagView(REF, holders, found([AMD64_IMAGE, ARM64_IMAGE]));
    expect(view.nodes.map((h) => [h.node, h.digest, h.status, h.platformMatch ?? false])).toEqual([
      ["n1", OLD_INDEX, "current", true],
      ["n2", NEW_INDEX, "current", false],
      ["n3", OTHER, "stale", false],
    ]);
    expect(view.nodes[1]?.repoDigests).toEqual([NEW_INDEX, OLD_INDEX].sort());
    expect(view.status).toBe("inconsistent");
    expect(computeTagView(REF, holders.slice(0, 2), found([AMD64_IMAGE])).status).toBe("current");
    expect(computeTagView(REF, holders.slice(0, 2), found()).status).toBe("inconsistent");
  });

  it("lets verify accept any repo digest, and the registry's digest for a platform match", () => {
    const view = computeTagView(REF, holders, found([AMD64_IMAGE]));
    const [n1, n2, n3] = view.nodes;
    if (n1 === undefined || n2 === undefined || n3 === undefined) throw new Error("three holders expected");
    expect(holdsDigest(n1, NEW_INDEX, NEW_INDEX)).toBe(true);
    expect(holdsDigest(n1, OLD_INDEX, NEW_INDEX)).toBe(true);
    expect(holdsDigest(n2, OLD_INDEX, NEW_INDEX)).toBe(true);
    expect(holdsDigest(n3, NEW_INDEX, NEW_INDEX)).toBe(false);
  });
});
