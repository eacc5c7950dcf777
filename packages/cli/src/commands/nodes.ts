/** `imagedrift nodes`: every node the collector knows, with its cache size and last report. */

import type { NodeItem } from "@imagedrift/core";
import { formatBytes } from "@imagedrift/core";
import type { CollectorClient } from "../client.js";
import { renderOutput } from "../format/output.js";
import type { Style } from "../format/style.js";
import { type Column, renderTable } from "../format/table.js";
import { formatAgo } from "../format/time.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type ViewOptions } from "./command.js";

function stateCell(state: string, style: Style): string {
  return state === "reporting" ? style.green(state) : style.red(state);
}

export function nodesTable(nodes: readonly NodeItem[], view: ViewOptions): string {
  if (nodes.length === 0) return "No nodes have reported to the collector yet.\n";
  const columns: Column<NodeItem>[] = [
    { header: "NAME", cell: (n) => n.name },
    { header: "STATE", cell: (n) => stateCell(n.state, view.style) },
    // How the agent learns of changes: events (within a moment) or polling (every --interval); - when unknown.
    { header: "MODE", cell: (n) => n.scanMode ?? "-" },
    { header: "RUNTIME", cell: (n) => `${n.runtime?.name ?? "?"} ${n.runtime?.version ?? ""}`.trim() },
    { header: "IMAGES", cell: (n) => String(n.imageCount), align: "right" },
    { header: "SIZE", cell: (n) => formatBytes(n.imageBytes), align: "right" },
    { header: "IMAGEFS USED", cell: (n) => formatBytes(n.imageFs?.usedBytes), align: "right" },
    { header: "LAST REPORT", cell: (n) => formatAgo(n.lastReportAt, view.now) },
  ];
  return renderTable(columns, nodes, { headerStyle: view.style.bold });
}

export async function nodesCommand(client: CollectorClient, view: ViewOptions): Promise<CommandResult> {
  const nodes = await client.listNodes();
  return { exitCode: 0, output: renderOutput(nodes, view.output, (items) => nodesTable(items, view)) };
}

export const defineNodes: DefineCommand = (program, execute) => {
  program
    .command("nodes")
    .summary("list the nodes whose agents report to the collector")
    .description(
      "List every node the collector knows: its state (reporting, or missing after 3 silent intervals), how its agent learns of changes (MODE: events, from the runtime's event stream, or polling, every --interval; - when the agent has not said), container runtime, image count, cache size and last report.",
    )
    .addHelpText("after", helpEpilogue(["imagedrift nodes", "imagedrift nodes -o json | jq -r '.[].name'"]))
    .action(() => execute((client, view) => nodesCommand(client, view)));
};
