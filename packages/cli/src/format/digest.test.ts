import { describe, expect, it } from "vitest";
import { digestOfRepoDigest, shortDigest } from "./digest.js";

describe("shortDigest", () => {
  it.each([
    [`sha256:${"0123456789abcdef".repeat(4)}`, "sha256:0123456789ab"],
    [`sha512:${"f".repeat(128)}`, "sha512:ffffffffffff"],
    ["sha256:abc", "sha256:abc"],
    ["not a digest", "not a digest"],
    [null, "-"],
    ["", "-"],
  ])("%s → %s", (digest, short) => {
    expect(shortDigest(digest)).toBe(short);
  });
});

describe("digestOfRepoDigest", () => {
  it("takes the part after @", () => {
    expect(digestOfRepoDigest(`localhost:5000/app@sha256:${"a".repeat(64)}`)).toBe(`sha256:${"a".repeat(64)}`);
    expect(digestOfRepoDigest("docker.io/library/nginx:1.27")).toBeNull();
  });
});
