/** `imagedrift tags`: every tag the nodes hold, the digests behind it, and the registry's answer. */
import { Option } from "commander";
import { TAG_STATUSES, type TagStatus, type TagView } from "../api-types.js";
import type { CollectorClient } from "../client.js";
import { shortDigest } from "../format/digest.js";
import { renderOutput } from "../format/output.js";
import { familiarRef, listSome } from "../format/reference.js";
import type { Style } from "../format/style.js";
import { type Column, renderTable } from "../format/table.js";
import { formatAgo } from "../format/time.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type ViewOptions } from "./command.js";

export interface TagsOptions extends ViewOptions {
  status?: TagStatus;
}

export function statusCell(status: TagStatus, style: Style): string {
  if (status === "current") return style.green(status);
  if (status === "missing-in-registry") return style.red(status);
  if (status === "unresolved") return style.dim(status);
  return style.yellow(status);
}

/** `sha256:abcdef012345 ×2, sha256:0123456789ab ×1`: which digests the nodes hold, most common first. */
export function digestsOnNodes(tag: TagView, style: Style): string {
  const counts = new Map<string | null, number>();
  for (const holder of tag.nodes) counts.set(holder.digest, (counts.get(holder.digest) ?? 0) + 1);
  const entries = [...counts].sort((a, b) => b[1] - a[1]);
  return listSome(
    entries.map(([digest, count]) => {
      const text = `${digest === null ? "no digest" : shortDigest(digest)} ×${count}`;
      if (tag.registryDigest === null || digest === null) return text;
      return digest === tag.registryDigest ? style.green(text) : style.yellow(text);
    }),
  );
}

export function tagsTable(tags: readonly TagView[], options: TagsOptions): string {
  if (tags.length === 0) {
    return options.status === undefined ? "No node holds a tagged image.\n" : `No tag is ${options.status}.\n`;
  }
  const columns: Column<TagView>[] = [
    { header: "TAG", cell: (t) => familiarRef(t.reference) },
    { header: "STATUS", cell: (t) => statusCell(t.status, options.style) },
    { header: "REGISTRY", cell: (t) => shortDigest(t.registryDigest) },
    { header: "NODES", cell: (t) => String(t.nodes.length), align: "right" },
    { header: "DIGESTS ON NODES", cell: (t) => digestsOnNodes(t, options.style) },
    { header: "RESOLVED", cell: (t) => formatAgo(t.resolvedAt, options.now) },
    { header: "NOTE", cell: (t) => t.resolveError ?? "" },
  ];
  const hasNotes = tags.some((t) => t.resolveError !== null && t.resolveError !== "");
  return renderTable(hasNotes ? columns : columns.slice(0, -1), tags, { headerStyle: options.style.bold });
}

export async function tagsCommand(client: CollectorClient, options: TagsOptions): Promise<CommandResult> {
  const tags = await client.listTags(options.status === undefined ? {} : { status: options.status });
  return { exitCode: 0, output: renderOutput(tags, options.output, (items) => tagsTable(items, options)) };
}

export const defineTags: DefineCommand = (program, execute) => {
  program
    .command("tags")
    .summary("compare every cached tag across nodes and with its registry")
    .description(
      [
        "List every tag (host/repository:tag) any node holds, the registry's current digest for it, and which digests the nodes hold.",
        "Status: current (every node has the registry's digest), stale (some node's digest differs from the registry's), inconsistent (nodes disagree), missing-in-registry (the registry answered 404), unresolved (the registry could not be asked), local-only (no repo digest: built or imported on the node).",
      ].join("\n\n"),
    )
    .addOption(new Option("--status <status>", "only tags with this status").choices(TAG_STATUSES))
    .addHelpText(
      "after",
      helpEpilogue(["imagedrift tags", "imagedrift tags --status stale", "imagedrift tags -o json"]),
    )
    .action((flags: { status?: TagStatus }) =>
      execute((client, view) => tagsCommand(client, { ...view, status: flags.status })),
    );
};
