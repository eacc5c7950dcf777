/**
 * The side panel that shows one thing at a time (a tag, a node, jobs). It is
 * a non-modal <dialog> (the matrix stays usable beside it): Escape or the ✕ closes it and focus returns to what
 * opened it. Its content is mounted once and updated on every poll, so typed
 * text, focus and scroll survive updates.
 */
export interface Panel {
  title: string;
  mount(body: HTMLElement): void;
  /** New data arrived (every poll while open). */
  update?(): void;
  unmount?(): void;
}

export interface DrawerElements {
  root: HTMLDialogElement;
  title: HTMLElement;
  body: HTMLElement;
  close: HTMLElement;
}

export class Drawer {
  private panel: Panel | null = null;
  private opener: HTMLElement | null = null;

  constructor(
    private readonly els: DrawerElements,
    /** Where focus goes when the opener is gone. */
    private readonly fallbackFocus: () => void,
  ) {
    els.close.addEventListener("click", () => this.close());
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.panel && !event.defaultPrevented) {
        event.preventDefault();
        this.close();
      }
    });
  }

  get current(): Panel | null {
    return this.panel;
  }

  open(panel: Panel, opener: HTMLElement | null): void {
    this.panel?.unmount?.();
    if (!this.panel) this.opener = opener;
    this.panel = panel;
    this.els.title.textContent = panel.title;
    this.els.body.replaceChildren();
    this.els.body.scrollTop = 0;
    if (!this.els.root.open) this.els.root.show();
    document.body.classList.add("drawer-open");
    panel.mount(this.els.body);
    this.els.title.focus();
  }

  update(): void {
    this.panel?.update?.();
  }

  close(): void {
    if (!this.panel) return;
    this.panel.unmount?.();
    this.panel = null;
    this.els.root.close();
    document.body.classList.remove("drawer-open");
    this.els.body.replaceChildren();
    const opener = this.opener;
    this.opener = null;
    if (opener?.isConnected) opener.focus();
    else this.fallbackFocus();
  }
}
