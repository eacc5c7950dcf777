import { describe, expect, it } from "vitest";
import { isSha256Digest, shortDigest } from "./short-digest.js";

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

  it("maps over a list without taking the index for anything", () => {
    expect([`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`].map(shortDigest)).toEqual([
      `sha256:${"a".repeat(12)}`,
      `sha256:${"b".repeat(12)}`,
    ]);
  });
});

describe("isSha256Digest", () => {
  it.each([
    [`sha256:${"a".repeat(64)}`, true],
    [`sha256:${"A".repeat(64)}`, false],
    ["a".repeat(64), false],
    [`sha256:${"a".repeat(63)}`, false],
    [`sha512:${"a".repeat(128)}`, false],
    [`sha256:${"a".repeat(64)}\n`, false],
  ])("%s → %s", (value, ok) => {
    expect(isSha256Digest(value)).toBe(ok);
  });
});
