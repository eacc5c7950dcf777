/**
 * The node × tag matrix: a WAI-ARIA grid, virtualised in both directions.
 * Only the rows and columns in view (plus an overscan margin, plus the active
 * cell's row and column so keyboard focus is never dropped) are in the DOM;
 * elements are keyed by tag reference and node name and redrawn only when
 * their data changed, so polling never steals focus or scroll.
 */
import type { NodeItem, TagView } from "./api-types.js";
import { buildRow, type RowModel } from "./digest-groups.js";
import { h } from "./dom.js";
import { type GridPosition, moveInGrid } from "./grid-keys.js";
import { type Drawn, type DrawnRow, dropUnwanted, order, place, px } from "./keyed-elements.js";
import {
  cellSignature,
  columnHeaderSignature,
  fillCell,
  fillColumnHeader,
  fillRowHeader,
  rowHeaderSignature,
} from "./matrix-cells.js";
import { LAYOUT, visibleWindow } from "./matrix-layout.js";

export { LAYOUT } from "./matrix-layout.js";

export interface MatrixData {
  nodes: readonly NodeItem[];
  tags: readonly TagView[];
  rowOf: (tag: TagView) => RowModel;
}

export interface MatrixHandlers {
  openTag(reference: string, opener: HTMLElement): void;
  openNode(name: string, opener: HTMLElement): void;
}

export class Matrix {
  private data: MatrixData = { nodes: [], tags: [], rowOf: buildRow };
  private rowIndex = new Map<string, number>();
  private colIndex = new Map<string, number>();
  private readonly canvas: HTMLElement;
  private readonly head: HTMLElement;
  private readonly corner: HTMLElement;
  private readonly body: HTMLElement;
  private readonly colHeads = new Map<string, Drawn>();
  private readonly rows = new Map<string, DrawnRow>();
  /** The active cell by identity: a tag reference (null: header row) and a node name (null: row headers). */
  private active: { row: string | null; col: string | null; at: GridPosition } = {
    row: null,
    col: null,
    at: { row: -1, col: -1 },
  };
  private tabStop: HTMLElement | null = null;
  private frame = 0;
  /** Milliseconds the last draw took (for the page's performance marks and the scale test). */
  lastRenderMs = 0;

  constructor(
    private readonly grid: HTMLElement,
    private readonly handlers: MatrixHandlers,
  ) {
    grid.tabIndex = -1;
    this.corner = h(
      "div",
      { role: "columnheader", class: "corner", "aria-colindex": 1, "data-kind": "corner", tabindex: 0 },
      h("span", {}, "tag ↓"),
      h("span", {}, "node →"),
    );
    this.tabStop = this.corner;
    this.head = h("div", { role: "row", class: "head", "aria-rowindex": 1 }, this.corner);
    this.body = h("div", { role: "rowgroup", class: "body" });
    // The sticky element is the header's row group: a sticky box only moves within its parent.
    this.canvas = h(
      "div",
      { role: "presentation", class: "canvas" },
      h("div", { role: "rowgroup", class: "headgroup" }, this.head),
      this.body,
    );
    grid.replaceChildren(this.canvas);
    grid.style.setProperty("--row-h", px(LAYOUT.rowHeight));
    grid.style.setProperty("--head-h", px(LAYOUT.headHeight));
    grid.style.setProperty("--col-w", px(LAYOUT.colWidth));
    grid.style.setProperty("--rowhead-w", px(LAYOUT.rowHeadWidth));
    grid.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(grid);
    grid.addEventListener("keydown", (event) => this.onKey(event));
    grid.addEventListener("click", (event) => this.onClick(event));
  }

  setData(data: MatrixData): void {
    this.data = data;
    this.rowIndex = new Map(data.tags.map((t, i) => [t.reference, i]));
    this.colIndex = new Map(data.nodes.map((n, i) => [n.name, i]));
    this.grid.setAttribute("aria-rowcount", String(data.tags.length + 1));
    this.grid.setAttribute("aria-colcount", String(data.nodes.length + 1));
    this.setActive(this.position());
    this.render();
  }

  /** Moves keyboard focus into the matrix, on its active cell. */
  focus(): void {
    this.render();
    this.tabStop?.focus();
  }

  /** The active cell's position, following its tag and node when rows move; clamped when they are gone. */
  private position(): GridPosition {
    const { row, col, at } = this.active;
    const clamp = (value: number, size: number) => Math.max(-1, Math.min(size - 1, value));
    return {
      row: row === null ? -1 : (this.rowIndex.get(row) ?? clamp(at.row, this.data.tags.length)),
      col: col === null ? -1 : (this.colIndex.get(col) ?? clamp(at.col, this.data.nodes.length)),
    };
  }

  private setActive(at: GridPosition): void {
    this.active = {
      row: at.row < 0 ? null : (this.data.tags[at.row]?.reference ?? null),
      col: at.col < 0 ? null : (this.data.nodes[at.col]?.name ?? null),
      at,
    };
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render(): void {
    const started = performance.now();
    const hadFocus = this.grid.contains(document.activeElement);
    const { tags, nodes } = this.data;
    this.canvas.style.height = px(LAYOUT.headHeight + tags.length * LAYOUT.rowHeight);
    this.canvas.style.width = px(LAYOUT.rowHeadWidth + nodes.length * LAYOUT.colWidth);
    const at = this.position();
    const { rows: rowList, cols: colList } = visibleWindow(
      {
        height: this.grid.clientHeight,
        width: this.grid.clientWidth,
        top: this.grid.scrollTop,
        left: this.grid.scrollLeft,
        rows: tags.length,
        cols: nodes.length,
      },
      at,
    );
    const colNames = colList.map((j) => nodes[j]?.name ?? "");
    this.drawHeads(colList);
    dropUnwanted(this.rows, new Set(rowList.map((i) => tags[i]?.reference)));
    const rowEls: HTMLElement[] = [];
    for (const i of rowList) {
      const tag = tags[i];
      if (tag) rowEls.push(this.drawRow(tag, i, colList, colNames));
    }
    order(this.body, null, rowEls);
    this.updateTabStop(at);
    if (hadFocus && !this.grid.contains(document.activeElement)) this.tabStop?.focus({ preventScroll: true });
    this.lastRenderMs = performance.now() - started;
  }

  private drawHeads(colList: readonly number[]): void {
    dropUnwanted(this.colHeads, new Set(colList.map((j) => this.data.nodes[j]?.name)));
    const els: HTMLElement[] = [];
    for (const j of colList) {
      const node = this.data.nodes[j];
      if (!node) continue;
      let drawn = this.colHeads.get(node.name);
      if (!drawn) {
        const el = h("div", { role: "columnheader", class: "colhead", "data-kind": "colheader", tabindex: -1 });
        el.dataset.col = node.name;
        drawn = { el, sig: "" };
        this.colHeads.set(node.name, drawn);
      }
      place(drawn.el, "left", LAYOUT.rowHeadWidth + j * LAYOUT.colWidth);
      drawn.el.setAttribute("aria-colindex", String(j + 2));
      const sig = columnHeaderSignature(node);
      if (sig !== drawn.sig) {
        fillColumnHeader(drawn.el, node);
        drawn.sig = sig;
      }
      els.push(drawn.el);
    }
    order(this.head, this.corner, els);
  }

  private drawRow(tag: TagView, index: number, colList: readonly number[], colNames: readonly string[]): HTMLElement {
    const row = this.data.rowOf(tag);
    let drawn = this.rows.get(tag.reference);
    if (!drawn) {
      const header = h("div", { role: "rowheader", class: "rowhead", "data-kind": "rowheader", tabindex: -1 });
      header.dataset.row = tag.reference;
      drawn = { el: h("div", { role: "row", class: "row" }, header), header, sig: "", cells: new Map() };
      this.rows.set(tag.reference, drawn);
    }
    place(drawn.el, "top", LAYOUT.headHeight + index * LAYOUT.rowHeight);
    drawn.el.setAttribute("aria-rowindex", String(index + 2));
    const sig = rowHeaderSignature(row);
    if (sig !== drawn.sig) {
      fillRowHeader(drawn.header, row);
      drawn.sig = sig;
    }
    dropUnwanted(drawn.cells, new Set(colNames));
    const els: HTMLElement[] = [];
    colList.forEach((j, k) => {
      const name = colNames[k] ?? "";
      let cell = drawn.cells.get(name);
      if (!cell) {
        const el = h("div", { role: "gridcell", "data-kind": "cell", tabindex: -1 });
        el.dataset.row = tag.reference;
        el.dataset.col = name;
        cell = { el, sig: "" };
        drawn.cells.set(name, cell);
      }
      place(cell.el, "left", LAYOUT.rowHeadWidth + j * LAYOUT.colWidth);
      cell.el.setAttribute("aria-colindex", String(j + 2));
      const cellSig = cellSignature(row, name);
      if (cellSig !== cell.sig) {
        fillCell(cell.el, row, name);
        cell.sig = cellSig;
      }
      els.push(cell.el);
    });
    order(drawn.el, drawn.header, els);
    return drawn.el;
  }

  private elementAt(at: GridPosition): HTMLElement | null {
    const reference = at.row < 0 ? null : this.data.tags[at.row]?.reference;
    const name = at.col < 0 ? null : this.data.nodes[at.col]?.name;
    if (!reference) return name ? (this.colHeads.get(name)?.el ?? null) : this.corner;
    const row = this.rows.get(reference);
    if (!row) return null;
    return name ? (row.cells.get(name)?.el ?? null) : row.header;
  }

  private updateTabStop(at: GridPosition): void {
    const el = this.elementAt(at) ?? this.corner;
    if (el === this.tabStop) return;
    if (this.tabStop) this.tabStop.tabIndex = -1;
    el.tabIndex = 0;
    this.tabStop = el;
  }

  private onKey(event: KeyboardEvent): void {
    if (event.altKey) return;
    const target = (event.target as HTMLElement).closest<HTMLElement>("[data-kind]");
    if ((event.key === "Enter" || event.key === " ") && target) {
      event.preventDefault();
      this.activate(target);
      return;
    }
    const pageRows = Math.max(1, Math.floor((this.grid.clientHeight - LAYOUT.headHeight) / LAYOUT.rowHeight) - 1);
    const next = moveInGrid(this.position(), event, {
      rows: this.data.tags.length,
      cols: this.data.nodes.length,
      pageRows,
    });
    if (!next) return;
    event.preventDefault();
    this.setActive(next);
    this.render();
    // scroll-padding on the grid keeps the sticky header and row headers from covering the focused cell.
    this.tabStop?.focus();
  }

  private onClick(event: MouseEvent): void {
    const target = (event.target as HTMLElement).closest<HTMLElement>("[data-kind]");
    if (!target || !this.grid.contains(target)) return;
    this.setActive({
      row: target.dataset.row ? (this.rowIndex.get(target.dataset.row) ?? -1) : -1,
      col: target.dataset.col ? (this.colIndex.get(target.dataset.col) ?? -1) : -1,
    });
    this.updateTabStop(this.position());
    target.focus({ preventScroll: true });
    this.activate(target);
  }

  private activate(target: HTMLElement): void {
    const kind = target.dataset.kind;
    if ((kind === "cell" || kind === "rowheader") && target.dataset.row)
      this.handlers.openTag(target.dataset.row, target);
    else if (kind === "colheader" && target.dataset.col) this.handlers.openNode(target.dataset.col, target);
  }
}
