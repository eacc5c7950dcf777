import type { GridPosition } from "./grid-keys.js";

/** The matrix's sizes in pixels, and how many rows and columns beyond the view are drawn. */
export const LAYOUT = {
  rowHeight: 44,
  headHeight: 52,
  colWidth: 136,
  rowHeadWidth: 330,
  overscanRows: 8,
  overscanCols: 3,
} as const;

/** What the grid shows: its size (0 before layout), how far it is scrolled, and how many rows and columns exist. */
export interface MatrixView {
  height: number;
  width: number;
  top: number;
  left: number;
  rows: number;
  cols: number;
}

/** `start..end-1`, plus `extra` when it is a valid index outside that range. */
function indices(start: number, end: number, extra: number): number[] {
  const list: number[] = [];
  for (let i = start; i < end; i++) list.push(i);
  if (extra >= 0 && (extra < start || extra >= end)) list.push(extra);
  return list.sort((a, b) => a - b);
}

/**
 * The rows and columns to draw: those in view plus the overscan margin, plus
 * the active cell's row and column so keyboard focus is never dropped.
 */
export function visibleWindow(view: MatrixView, active: GridPosition): { rows: number[]; cols: number[] } {
  const { rowHeight, headHeight, colWidth, rowHeadWidth, overscanRows, overscanCols } = LAYOUT;
  const height = view.height || 800;
  const width = view.width || 1200;
  return {
    rows: indices(
      Math.max(0, Math.floor(view.top / rowHeight) - overscanRows),
      Math.min(view.rows, Math.ceil((view.top + height - headHeight) / rowHeight) + overscanRows),
      active.row,
    ),
    cols: indices(
      Math.max(0, Math.floor(view.left / colWidth) - overscanCols),
      Math.min(view.cols, Math.ceil((view.left + width - rowHeadWidth) / colWidth) + overscanCols),
      active.col,
    ),
  };
}
