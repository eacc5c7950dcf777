import { describe, expect, it } from "vitest";
import { colorWanted, createStyle, visibleWidth } from "./style.js";

describe("colours", () => {
  it.each([
    [true, {}, true],
    [true, { NO_COLOR: "1" }, false],
    [true, { NO_COLOR: "" }, true],
    [false, {}, false],
    [undefined, {}, false],
  ])("isTTY=%s env=%j → %s", (isTTY, env, wanted) => {
    expect(colorWanted({ isTTY }, env)).toBe(wanted);
  });

  it("wraps text in SGR codes only when enabled", () => {
    expect(createStyle(false).red("x")).toBe("x");
    expect(createStyle(true).red("x")).toBe("\u001b[31mx\u001b[39m");
    expect(visibleWidth(createStyle(true).bold("✓ ok"))).toBe(4);
  });
});
