/** A tag's panel: the digest each node holds, the registry's digest and when it was resolved, since when it drifts. */

import { shortDigest } from "@imagedrift/core";
import type { AppContext } from "./app-context.js";
import { copyable } from "./copy.js";
import { h, rerender } from "./dom.js";
import type { Panel } from "./drawer.js";
import { findingItem } from "./findings-panel.js";
import { formatTime } from "./format.js";
import { holderStatus, resolvedText, tagBadge } from "./matrix-cells.js";
import { GROUP_STYLES, groupStyle } from "./palette.js";

const REFRESHABLE = new Set(["stale", "inconsistent"]);

export function tagPanel(reference: string, app: AppContext): Panel {
  let body: HTMLElement;
  let drawn = "";

  /** Redraws only when what the panel shows changed. */
  function refresh(): void {
    const { tags, nodes, findings } = app.snapshot();
    const sig = JSON.stringify([
      tags.find((t) => t.reference === reference),
      findings.filter((f) => f.reference === reference),
      nodes.map((n) => n.name),
    ]);
    if (sig === drawn) return;
    drawn = sig;
    rerender(body, draw());
  }

  function draw(): Node[] {
    const { tags, nodes, findings } = app.snapshot();
    const tag = tags.find((t) => t.reference === reference);
    if (!tag) return [h("p", {}, `No node reports ${reference} any more.`)];
    const row = app.rowOf(tag);
    const related = findings.filter((f) => f.reference === reference);
    const prepull = h("button", { type: "button", "data-key": "prepull" }, "Prepull on every node…");
    prepull.addEventListener("click", () => app.openJobs({ type: "prepull", images: [reference] }, prepull));
    const refresh = h(
      "button",
      { type: "button", "data-key": "refresh", disabled: !REFRESHABLE.has(tag.status) },
      "Refresh where the digest differs…",
    );
    refresh.addEventListener("click", () => app.openJobs({ type: "refresh", images: [reference] }, refresh));
    const holderRows = nodes.map((node) => {
      const holder = row.holders.get(node.name);
      const group = row.groupOfNode.get(node.name);
      if (!holder || !group) {
        return h(
          "tr",
          { class: "not-held" },
          h("th", { scope: "row" }, node.name),
          h("td", { colspan: 4 }, "not held"),
        );
      }
      const style = groupStyle(group.index);
      const status = holderStatus(tag, holder.status);
      return h(
        "tr",
        {},
        h("th", { scope: "row" }, node.name),
        h(
          "td",
          { class: `mono g${group.index % GROUP_STYLES.length}`, title: holder.digest ?? "no repo digest" },
          h("span", { "aria-hidden": "true" }, `${style.shape}${style.letter} `),
          holder.digest ? shortDigest(holder.digest) : "no digest",
        ),
        h("td", { class: `st-${status.className.slice(2)}` }, status.text),
        h("td", { class: "mono", title: holder.imageId }, shortDigest(holder.imageId)),
        h("td", {}, holder.platformMatch ? "registry's, for its platform" : group.matchesRegistry ? "registry's" : ""),
      );
    });
    return [
      h("p", { class: "full-ref" }, copyable(reference, "the tag", "copy-ref", app.announce)),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Status"),
        h("dd", {}, tagBadge(tag.status)),
        h("dt", {}, "Registry digest"),
        h(
          "dd",
          {},
          tag.registryDigest
            ? copyable(tag.registryDigest, "the registry digest", "copy-reg", app.announce)
            : (tag.resolveError ?? "not resolved yet"),
        ),
        h("dt", {}, "Resolved"),
        h("dd", {}, tag.resolvedAt === null ? "never" : `${formatTime(tag.resolvedAt)} (${resolvedText(tag)})`),
        h("dt", {}, "Held by"),
        h("dd", {}, `${tag.nodes.length} of ${nodes.length} nodes, ${row.groups.length} digest(s)`),
      ),
      h(
        "table",
        { class: "detail-table" },
        h("caption", {}, "Digest per node"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Node", "Digest", "Against registry", "Image ID", ""].map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        h("tbody", {}, holderRows),
      ),
      h("h3", {}, "Since when"),
      related.length === 0
        ? h("p", {}, "No finding about this tag.")
        : h(
            "ul",
            { class: "finding-list" },
            related.map((f) => findingItem(f, { announce: app.announce }, "tag-")),
          ),
      h("h3", {}, "Jobs"),
      h("div", { class: "actions" }, prepull, refresh),
    ];
  }

  return {
    title: `Tag ${reference.slice(reference.indexOf("/") + 1)}`,
    mount(el) {
      body = h("div", { class: "panel-content" });
      el.append(body);
      refresh();
    },
    update: refresh,
  };
}
