import { describe, expect, it } from "vitest";
import { contrastPairs, contrastRatio, GROUP_STYLES, groupStyle } from "./palette.js";

describe("palette", () => {
  it("computes WCAG ratios", () => {
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
  });

  it.each(contrastPairs())("$what reaches AA (4.5:1)", ({ color, background }) => {
    expect(contrastRatio(color, background)).toBeGreaterThanOrEqual(4.5);
  });

  it("tells groups apart by shape and letter, not colour alone", () => {
    expect(new Set(GROUP_STYLES.map((g) => g.shape)).size).toBe(GROUP_STYLES.length);
    expect(groupStyle(1).letter).toBe("B");
    expect(groupStyle(GROUP_STYLES.length).letter).toBe("I");
  });
});
