/**
 * A tiny element builder: text always goes in as text (never parsed as HTML),
 * so API data cannot inject markup. Attributes set to false/null/undefined are left out.
 */
type Attr = string | number | boolean | null | undefined;
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/**
 * Replaces a container's content without losing the reader's place: the
 * focused element (matched by `data-key`), open `<details>` (by `data-key`)
 * and the scroll position survive the update.
 */
export function rerender(container: HTMLElement, children: Node[]): void {
  const active = document.activeElement;
  const focusKey = active instanceof HTMLElement && container.contains(active) ? active.dataset.key : undefined;
  const open = new Set(
    [...container.querySelectorAll<HTMLDetailsElement>("details[open][data-key]")].map((d) => d.dataset.key),
  );
  const scrollTop = container.scrollTop;
  container.replaceChildren(...children);
  for (const details of container.querySelectorAll<HTMLDetailsElement>("details[data-key]")) {
    if (open.has(details.dataset.key)) details.open = true;
  }
  container.scrollTop = scrollTop;
  if (focusKey) {
    container.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
  }
}
