/**
 * Keyboard movement in the matrix (the WAI-ARIA grid pattern). Row -1 is the
 * header row (node names), column -1 the row headers (tags). Pure.
 */
export interface GridPosition {
  row: number;
  col: number;
}

export interface GridKey {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
}

/** The new position for a key, or null when the key is not a movement. */
export function moveInGrid(
  from: GridPosition,
  event: GridKey,
  size: { rows: number; cols: number; pageRows: number },
): GridPosition | null {
  const clamp = (value: number, min: number, max: number) => Math.max(min, Math.min(max, value));
  const lastRow = size.rows - 1;
  const lastCol = size.cols - 1;
  const ctrl = event.ctrlKey === true || event.metaKey === true;
  const at = (row: number, col: number) => ({ row: clamp(row, -1, lastRow), col: clamp(col, -1, lastCol) });
  switch (event.key) {
    case "ArrowUp":
      return at(from.row - 1, from.col);
    case "ArrowDown":
      return at(from.row + 1, from.col);
    case "ArrowLeft":
      return at(from.row, from.col - 1);
    case "ArrowRight":
      return at(from.row, from.col + 1);
    case "PageUp":
      return at(Math.max(from.row - size.pageRows, from.row === -1 ? -1 : 0), from.col);
    case "PageDown":
      return at(from.row + size.pageRows, from.col);
    case "Home":
      return ctrl ? at(-1, -1) : at(from.row, -1);
    case "End":
      return ctrl ? at(lastRow, lastCol) : at(from.row, lastCol);
    default:
      return null;
  }
}
