import { describe, expect, it } from "vitest";
import { createStyle, visibleWidth } from "./style.js";
import { type Column, renderTable } from "./table.js";

interface Row {
  name: string;
  count: number;
  note: string;
}

const columns: Column<Row>[] = [
  { header: "NAME", cell: (r) => r.name },
  { header: "COUNT", cell: (r) => String(r.count), align: "right" },
  { header: "NOTE", cell: (r) => r.note },
];

describe("renderTable", () => {
  it("pads columns to the widest cell, right-aligns numbers and leaves the last column unpadded", () => {
    const rows = [
      { name: "worker-1", count: 3, note: "" },
      { name: "w2", count: 1200, note: "long note" },
    ];
    expect(renderTable(columns, rows)).toBe(
      ["NAME       COUNT   NOTE", "worker-1       3", "w2          1200   long note", ""].join("\n"),
    );
  });

  it("ignores colour codes when measuring", () => {
    const style = createStyle(true);
    const coloured: Column<Row>[] = [{ header: "NAME", cell: (r) => style.green(r.name) }, columns[1] as Column<Row>];
    const lines = renderTable(coloured, [
      { name: "a", count: 1, note: "" },
      { name: "bbb", count: 22, note: "" },
    ]).split("\n");
    expect(lines.map(visibleWidth).slice(0, 3)).toEqual([12, 12, 12]);
  });

  it("can leave the header out", () => {
    expect(renderTable(columns, [{ name: "x", count: 1, note: "y" }], { header: false })).toBe("x   1   y\n");
  });
});
