import { describe, expect, it } from "vitest";
import { digestOfRepoDigest } from "./digest.js";

describe("digestOfRepoDigest", () => {
  it("takes the part after @", () => {
    expect(digestOfRepoDigest(`localhost:5000/app@sha256:${"a".repeat(64)}`)).toBe(`sha256:${"a".repeat(64)}`);
    expect(digestOfRepoDigest("docker.io/library/nginx:1.27")).toBeNull();
  });
});
