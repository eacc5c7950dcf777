/** The filters above the matrix: status (with counts), free text, namespace (loaded when first opened). */
import type { TagStatus, TagView } from "./api-types.js";
import { h } from "./dom.js";
import { DRIFT_STATUSES, type StatusFilter, statusCounts, type TagFilter } from "./filters.js";
import type { NamespaceLoader } from "./namespace-loader.js";
import { TAG_BADGES } from "./palette.js";

export interface ToolbarElements {
  form: HTMLFormElement;
  status: HTMLSelectElement;
  search: HTMLInputElement;
  namespace: HTMLSelectElement;
  count: HTMLElement;
}

const STATUSES = Object.keys(TAG_BADGES) as TagStatus[];

export class Toolbar {
  filter: TagFilter = { status: "", text: "", namespace: "" };
  private readonly statusOptions = new Map<StatusFilter, HTMLOptionElement>();
  private namespacesDrawn = "";
  private debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly els: ToolbarElements,
    private readonly namespaces: NamespaceLoader,
    private readonly changed: () => void,
  ) {
    for (const value of ["", "drift", ...STATUSES] as StatusFilter[]) {
      const option = h("option", { value });
      this.statusOptions.set(value, option);
      els.status.append(option);
    }
    this.updateCounts([]);
    els.form.addEventListener("submit", (event) => event.preventDefault());
    els.status.addEventListener("change", () => {
      this.filter = { ...this.filter, status: els.status.value as StatusFilter };
      this.changed();
    });
    els.search.addEventListener("input", () => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        this.filter = { ...this.filter, text: els.search.value };
        this.changed();
      }, 120);
    });
    const loadNamespaces = () => void this.loadNamespaces();
    els.namespace.addEventListener("focus", loadNamespaces);
    els.namespace.addEventListener("pointerdown", loadNamespaces);
    els.namespace.addEventListener("change", () => {
      this.filter = { ...this.filter, namespace: els.namespace.value };
      this.changed();
    });
  }

  updateCounts(tags: readonly TagView[]): void {
    const counts = statusCounts(tags);
    const drift = DRIFT_STATUSES.reduce((sum, s) => sum + (counts.get(s) ?? 0), 0);
    const label = (value: StatusFilter): string => {
      if (value === "") return `All statuses (${tags.length})`;
      if (value === "drift") return `Needs attention (${drift})`;
      return `${TAG_BADGES[value].icon} ${value} (${counts.get(value) ?? 0})`;
    };
    for (const [value, option] of this.statusOptions) {
      const text = label(value);
      if (option.textContent !== text) option.textContent = text;
    }
  }

  showCount(shown: number, total: number): void {
    const text = shown === total ? `${total} tags` : `${shown} of ${total} tags`;
    if (this.els.count.textContent !== text) this.els.count.textContent = text;
  }

  /** Reloads the namespace index when a namespace is chosen and it is old (called on every poll). */
  refreshNamespaces(): void {
    if (this.filter.namespace) void this.loadNamespaces();
  }

  private async loadNamespaces(): Promise<void> {
    if (!this.namespaces.index) this.drawNamespaces(["loading namespaces…"], true);
    await this.namespaces.load();
    this.drawNamespaces(this.namespaces.index?.namespaces ?? [], false);
  }

  private drawNamespaces(names: readonly string[], loading: boolean): void {
    const sig = `${loading}|${names.join(",")}`;
    if (sig === this.namespacesDrawn) return;
    this.namespacesDrawn = sig;
    const chosen = this.filter.namespace;
    const options = [
      h("option", { value: "" }, "All namespaces"),
      ...names.map((n) => h("option", loading ? { value: "", disabled: true } : { value: n }, n)),
    ];
    if (chosen && !names.includes(chosen)) options.push(h("option", { value: chosen }, `${chosen} (no pods now)`));
    this.els.namespace.replaceChildren(...options);
    this.els.namespace.value = chosen;
  }
}
