import { describe, expect, it } from "vitest";
import { backoffMs } from "./backoff.js";

const top = () => 0.999999;

describe("backoffMs", () => {
  it("doubles from the base up to the cap", () => {
    const policy = { baseMs: 100, maxMs: 1_000, jitter: "none" } as const;
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(policy, a))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it("full jitter picks in [0, delay]; half jitter in [delay/2, delay]", () => {
    expect(backoffMs({ baseMs: 100, maxMs: 1_000 }, 3, () => 0)).toBe(0);
    expect(backoffMs({ baseMs: 100, maxMs: 1_000 }, 3, top)).toBe(400);
    expect(backoffMs({ baseMs: 100, maxMs: 1_000, jitter: "half" }, 3, () => 0)).toBe(200);
    expect(backoffMs({ baseMs: 100, maxMs: 1_000, jitter: "half" }, 3, top)).toBe(400);
  });

  it("an attempt below 1 waits the base", () => {
    expect(backoffMs({ baseMs: 100, maxMs: 1_000, jitter: "none" }, 0)).toBe(100);
  });
});
