import { describe, expect, it } from "vitest";
import { moveInGrid } from "./grid-keys.js";

const size = { rows: 500, cols: 200, pageRows: 10 };

describe("moveInGrid", () => {
  it("moves with arrows and stays inside the header row and row-header column", () => {
    expect(moveInGrid({ row: -1, col: -1 }, { key: "ArrowDown" }, size)).toEqual({ row: 0, col: -1 });
    expect(moveInGrid({ row: -1, col: -1 }, { key: "ArrowUp" }, size)).toEqual({ row: -1, col: -1 });
    expect(moveInGrid({ row: 0, col: 199 }, { key: "ArrowRight" }, size)).toEqual({ row: 0, col: 199 });
    expect(moveInGrid({ row: 3, col: 0 }, { key: "ArrowLeft" }, size)).toEqual({ row: 3, col: -1 });
  });

  it("pages, and jumps to row ends and grid corners", () => {
    expect(moveInGrid({ row: 495, col: 4 }, { key: "PageDown" }, size)).toEqual({ row: 499, col: 4 });
    expect(moveInGrid({ row: 5, col: 4 }, { key: "PageUp" }, size)).toEqual({ row: 0, col: 4 });
    expect(moveInGrid({ row: 5, col: 4 }, { key: "End" }, size)).toEqual({ row: 5, col: 199 });
    expect(moveInGrid({ row: 5, col: 4 }, { key: "Home" }, size)).toEqual({ row: 5, col: -1 });
    expect(moveInGrid({ row: 5, col: 4 }, { key: "End", ctrlKey: true }, size)).toEqual({ row: 499, col: 199 });
    expect(moveInGrid({ row: 5, col: 4 }, { key: "Home", ctrlKey: true }, size)).toEqual({ row: -1, col: -1 });
    expect(moveInGrid({ row: 5, col: 4 }, { key: "x" }, size)).toBeNull();
  });

  it("handles an empty matrix", () => {
    expect(moveInGrid({ row: -1, col: -1 }, { key: "ArrowDown" }, { rows: 0, cols: 0, pageRows: 10 })).toEqual({
      row: -1,
      col: -1,
    });
  });
});
