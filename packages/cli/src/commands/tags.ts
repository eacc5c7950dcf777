/** `imagedrift tags`: every tag the nodes hold, the digests behind it, and the registry's answer. */
import {
  describeRegistryAnswer,
  registryAnswerOf,
  shortDigest,
  TAG_STATUSES,
  type TagStatus,
  type TagSummary,
} from "@imagedrift/core";
import { Option } from "commander";
import type { CollectorClient } from "../client.js";
import { renderData } from "../format/output.js";
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
export function digestsOnNodes(tag: TagSummary, style: Style): string {
  return listSome(
    tag.digests.map(({ digest, nodes }) => {
      const text = `${digest === null ? "no digest" : shortDigest(digest)} ×${nodes}`;
      if (tag.registryDigest === null || digest === null) return text;
      return digest === tag.registryDigest ? style.green(text) : style.yellow(text);
    }),
  );
}

/** What the registry answered, when it gave no digest: the words verify uses too. */
function note(tag: TagSummary): string {
  return registryAnswerOf(tag) === "found" ? "" : describeRegistryAnswer(tag);
}

/** `2m ago (event)`: when the registry was last asked, and why (poll, event, job, inventory). */
export function resolvedCell(tag: Pick<TagSummary, "resolvedAt" | "resolvedBy">, now: Date): string {
  const ago = formatAgo(tag.resolvedAt, now);
  return tag.resolvedBy === null || tag.resolvedBy === undefined ? ago : `${ago} (${tag.resolvedBy})`;
}

export function tagsTable(tags: readonly TagSummary[], options: TagsOptions): string {
  if (tags.length === 0) {
    return options.status === undefined ? "No node holds a tagged image.\n" : `No tag is ${options.status}.\n`;
  }
  const columns: Column<TagSummary>[] = [
    { header: "TAG", cell: (t) => familiarRef(t.reference) },
    { header: "STATUS", cell: (t) => statusCell(t.status, options.style) },
    { header: "REGISTRY", cell: (t) => shortDigest(t.registryDigest) },
    { header: "NODES", cell: (t) => String(t.nodeCount), align: "right" },
    { header: "DIGESTS ON NODES", cell: (t) => digestsOnNodes(t, options.style) },
    { header: "RESOLVED", cell: (t) => resolvedCell(t, options.now) },
    { header: "NOTE", cell: note },
  ];
  const hasNotes = tags.some((t) => note(t) !== "");
  return renderTable(hasNotes ? columns : columns.slice(0, -1), tags, { headerStyle: options.style.bold });
}

/** The table needs each tag's counts alone (`view=summary`); `-o json|yaml` gives every holder, as the API does. */
export async function tagsCommand(client: CollectorClient, options: TagsOptions): Promise<CommandResult> {
  const filter = options.status === undefined ? {} : { status: options.status };
  if (options.output === "table") {
    const tags = await client.listTagSummaries(filter);
    return { exitCode: 0, output: tagsTable(tags, options) };
  }
  return { exitCode: 0, output: renderData(await client.listTags(filter), options.output) };
}

export const defineTags: DefineCommand = (program, execute) => {
  program
    .command("tags")
    .summary("compare every cached tag across nodes and with its registry")
    .description(
      [
        "List every tag (host/repository:tag) any node holds, the registry's current digest for it, which digests the nodes hold, and when and why the registry was last asked (RESOLVED: poll = the periodic resolve, event = a registry's push notification, job = a prepull or refresh about to pull, inventory = a node first reported the tag).",
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
