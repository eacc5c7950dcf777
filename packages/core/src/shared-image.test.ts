import { describe, expect, it } from "vitest";
import { isSharedImage, shareImage } from "./shared-image.js";

const image = () => ({ id: "a", repoTags: ["t"], repoDigests: ["d"], containers: [] as string[] });

describe("shared images", () => {
  it("an image is shared once shareImage made it so, and then cannot change", () => {
    const fresh = image();
    expect(isSharedImage(fresh)).toBe(false);
    const shared = shareImage(fresh);
    expect(shared).toBe(fresh);
    expect(isSharedImage(shared)).toBe(true);
    expect(() => (shared.repoTags as string[]).push("u")).toThrow(TypeError);
  });

  it("an image frozen by someone else, with lists still open to change, is not shared", () => {
    expect(isSharedImage(Object.freeze(image()))).toBe(false);
  });
});
