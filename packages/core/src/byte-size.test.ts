import { describe, expect, it } from "vitest";
import { formatBytes } from "./byte-size.js";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [512, "512 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [70_573_260, "67.3 MiB"],
    [512 * 1024 ** 2, "512 MiB"],
    [1_288_490_189, "1.2 GiB"],
    [1024 ** 2 - 1, "1.0 MiB"],
    [5 * 1024 ** 4, "5.0 TiB"],
    [null, "-"],
    [undefined, "-"],
    [-1, "-"],
    [Number.NaN, "-"],
  ])("%s bytes → %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
