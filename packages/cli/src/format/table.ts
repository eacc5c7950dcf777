/**
 * Aligned plain-text tables, kubectl style: an upper-case header, columns
 * padded to their widest cell and separated by three spaces, the last column
 * never padded (so long messages do not leave trailing blanks).
 */
import { visibleWidth } from "./style.js";

export interface Column<Row> {
  header: string;
  cell: (row: Row) => string;
  /** Right-align (numbers, sizes). */
  align?: "left" | "right";
}

export interface TableOptions {
  /** Print the header line (default true). */
  header?: boolean;
  /** Applied to the header line, e.g. bold. */
  headerStyle?: (text: string) => string;
}

const GAP = "   ";

function pad(text: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - visibleWidth(text)));
  return align === "right" ? fill + text : text + fill;
}

/** One string per line (header first, unless turned off). */
export function renderTableLines<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: TableOptions = {},
): string[] {
  const showHeader = options.header ?? true;
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map((column, i) =>
    Math.max(showHeader ? visibleWidth(column.header) : 0, ...cells.map((line) => visibleWidth(line[i] ?? ""))),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => {
        const last = i === values.length - 1;
        const align = columns[i]?.align ?? "left";
        return last && align === "left" ? value : pad(value, widths[i] ?? 0, align);
      })
      .join(GAP)
      .trimEnd();
  const lines = cells.map(line);
  if (showHeader) {
    const header = line(columns.map((column) => column.header));
    lines.unshift(options.headerStyle ? options.headerStyle(header) : header);
  }
  return lines;
}

/** The table as text ending in a newline. */
export function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: TableOptions = {},
): string {
  return `${renderTableLines(columns, rows, options).join("\n")}\n`;
}
