/** A node's panel: its cache (images, sizes, disk used), what is in use and by which pods. */

import { shortDigest } from "@imagedrift/core";
import type { NodeImageItem } from "./api-types.js";
import type { AppContext } from "./app-context.js";
import { h, rerender } from "./dom.js";
import type { Panel } from "./drawer.js";
import { formatAge, formatBytes, formatTime } from "./format.js";
import { scanModeText } from "./matrix-cells.js";

function imageName(image: NodeImageItem): string {
  if (image.repoTags.length > 0) return image.repoTags.join(", ");
  const digest = image.repoDigests[0];
  return digest ? `<none> ${digest.replace(/@sha256:([0-9a-f]{12}).*/, "@$1")}` : `<none> ${shortDigest(image.id)}`;
}

/** In use first, then biggest first: what matters for disk and for drift. */
function byUseThenSize(a: NodeImageItem, b: NodeImageItem): number {
  return Number(b.inUse) - Number(a.inUse) || b.size - a.size;
}

function imagesTable(images: readonly NodeImageItem[]): HTMLElement {
  const rows = [...images].sort(byUseThenSize).map((image) =>
    h(
      "tr",
      {},
      h("th", { scope: "row", class: "wrap", title: image.id }, imageName(image)),
      h("td", { class: "num" }, formatBytes(image.size)),
      h(
        "td",
        {},
        image.inUse ? "✓ in use" : "unused",
        image.pinned ? " · pinned" : "",
        image.sandbox ? " · sandbox" : "",
      ),
      h(
        "td",
        { class: "wrap" },
        image.containers.length === 0
          ? "—"
          : h(
              "ul",
              { class: "pods" },
              image.containers.map((c) => h("li", {}, `${c.namespace}/${c.pod} · ${c.container} (${c.state})`)),
            ),
      ),
    ),
  );
  return h(
    "table",
    { class: "detail-table" },
    h("caption", {}, "Images"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Image", "Size", "Use", "Pods (namespace/pod · container)"].map((c) => h("th", { scope: "col" }, c)),
      ),
    ),
    h("tbody", {}, rows),
  );
}

export function nodePanel(name: string, app: AppContext): Panel {
  let body: HTMLElement;
  let images: NodeImageItem[] | null = null;
  let imagesError: string | null = null;
  let drawn = "";
  let live = true;

  function draw(): Node[] {
    const node = app.snapshot().nodes.find((n) => n.name === name);
    if (!node) return [h("p", {}, `The collector does not know node ${name} any more.`)];
    const prune = h("button", { type: "button", "data-key": "prune" }, "Prune this node…");
    prune.addEventListener("click", () => app.openJobs({ type: "prune", nodes: [name], dryRun: true }, prune));
    const inUse = images?.filter((i) => i.inUse) ?? [];
    const unusedBytes = images?.filter((i) => !i.inUse).reduce((sum, i) => sum + i.size, 0) ?? 0;
    const labels = Object.entries(node.labels ?? {}).map(([k, v]) => `${k}=${v}`);
    return [
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "State"),
        h("dd", {}, node.state === "reporting" ? "● reporting" : "✗ missing (no report for 3 intervals)"),
        h("dt", {}, "Last report"),
        h("dd", {}, `${formatTime(node.lastReportAt)} (${formatAge(node.lastReportAt)})`),
        h("dt", {}, "Scan mode"),
        h("dd", {}, scanModeText(node)),
        h("dt", {}, "Runtime"),
        h(
          "dd",
          {},
          `${node.runtime.name} ${node.runtime.version}`,
          node.agentVersion ? ` · agent ${node.agentVersion}` : "",
        ),
        h("dt", {}, "Images"),
        h("dd", {}, `${node.imageCount} (${formatBytes(node.imageBytes)})`),
        h("dt", {}, "Disk used"),
        h(
          "dd",
          {},
          formatBytes(node.imageFs.usedBytes),
          node.imageFs.mountpoint ? ` on ${node.imageFs.mountpoint}` : "",
        ),
        h("dt", {}, "In use"),
        h("dd", {}, images ? `${inUse.length} images; ${formatBytes(unusedBytes)} in images nothing uses` : "loading…"),
        labels.length > 0 ? [h("dt", {}, "Labels"), h("dd", { class: "mono wrap" }, labels.join(", "))] : null,
      ),
      h("div", { class: "actions" }, prune),
      imagesError
        ? h("p", { class: "error" }, `Images could not be read: ${imagesError}`)
        : images
          ? imagesTable(images)
          : h("p", {}, "Loading images…"),
    ];
  }

  function refresh(): void {
    const node = app.snapshot().nodes.find((n) => n.name === name);
    const sig = JSON.stringify([node, images, imagesError]);
    if (sig === drawn) return;
    drawn = sig;
    rerender(body, draw());
  }

  async function load(): Promise<void> {
    try {
      images = (await app.api.nodeImages(name)).items;
      imagesError = null;
    } catch (thrown) {
      imagesError = (thrown as Error).message;
    }
    if (live) refresh();
  }

  return {
    title: `Node ${name}`,
    mount(el) {
      body = h("div", { class: "panel-content" });
      el.append(body);
      refresh();
      void load();
    },
    update() {
      refresh();
      void load();
    },
    unmount() {
      live = false;
    },
  };
}
