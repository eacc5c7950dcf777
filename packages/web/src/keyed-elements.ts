/** Elements drawn once and kept, keyed by what they show: redrawn only when their signature changes. */
export interface Drawn {
  el: HTMLElement;
  sig: string;
}

export interface DrawnRow extends Drawn {
  header: HTMLElement;
  cells: Map<string, Drawn>;
}

export const px = (n: number) => `${n}px`;

/** Puts `wanted` in order after `after` (or first), moving only elements that are out of place. */
export function order(parent: HTMLElement, after: Element | null, wanted: readonly HTMLElement[]): void {
  let cursor = after ? after.nextElementSibling : parent.firstElementChild;
  for (const el of wanted) {
    if (el === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(el, cursor);
  }
}

/** Sets a position only when it changed: writing an unchanged style still costs a style recalculation. */
export function place(el: HTMLElement, side: "left" | "top", value: number): void {
  const text = px(value);
  if (el.style[side] !== text) el.style[side] = text;
}

/** Removes the drawn elements whose key is no longer wanted, from the page and from `drawn`. */
export function dropUnwanted(drawn: Map<string | undefined, Drawn>, wanted: ReadonlySet<string | undefined>): void {
  for (const [key, entry] of drawn) {
    if (!wanted.has(key)) {
      entry.el.remove();
      drawn.delete(key);
    }
  }
}
