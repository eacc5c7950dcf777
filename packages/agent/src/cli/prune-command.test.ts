import type { ImagedriftError } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { pruneFlagsPolicy } from "./prune-command.js";

const base = { policy: "unused" as const, include: [], exclude: [], keep: [], protect: [], timeout: "10m" };

describe("pruneFlagsPolicy", () => {
  it("turns flags into a policy, leaving out what was not given", () => {
    expect(pruneFlagsPolicy(base)).toEqual({ mode: "unused" });
    expect(
      pruneFlagsPolicy({
        ...base,
        policy: "dangling",
        keep: ["a/*"],
        include: ["b/**"],
        exclude: ["c"],
        targetUsagePercent: "75",
      }),
    ).toEqual({
      mode: "dangling",
      keep: ["a/*"],
      include: ["b/**"],
      exclude: ["c"],
      targetUsagePercent: 75,
    });
  });

  it.each([
    [{ policy: "stale" as const }, /--policy stale needs .* only the collector/],
    [{ olderThan: "7d" }, /--older-than needs the collector's history/],
    [{ olderThan: "7 days" }, /--older-than: invalid duration/],
    [{ targetUsagePercent: "120" }, /--target-usage-percent: "120" is not a number from 0 to 100/],
    [{ targetUsagePercent: "" }, /--target-usage-percent/],
  ])("refuses %j", (flags, message) => {
    expect(() => pruneFlagsPolicy({ ...base, ...flags })).toThrow(message);
    try {
      pruneFlagsPolicy({ ...base, ...flags });
    } catch (error) {
      expect((error as ImagedriftError).code).toBe("invalid-argument");
    }
  });
});
