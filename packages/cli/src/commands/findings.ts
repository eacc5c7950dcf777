/** `imagedrift findings`: what the collector concluded (docs/ARCHITECTURE.md#findings), most severe first, each with its remedy. */
import type { Severity } from "@imagedrift/core";
import { FINDING_KINDS, type FindingItem, type FindingKind, SEVERITIES } from "@imagedrift/core";
import { Option } from "commander";
import type { CollectorClient } from "../client.js";
import { renderOutput } from "../format/output.js";
import { familiarRef, listSome } from "../format/reference.js";
import type { Style } from "../format/style.js";
import { type Column, renderTableLines } from "../format/table.js";
import { formatAgo } from "../format/time.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type ViewOptions } from "./command.js";

export const FAIL_ON = ["critical", "warning", "info"] as const satisfies readonly Severity[];
export type FailOn = (typeof FAIL_ON)[number];

export interface FindingsOptions extends ViewOptions {
  kind?: FindingKind;
  severity?: Severity;
  /** Exit 1 when a listed finding is at least this severe; without it `findings` reports and exits 0. */
  failOn?: FailOn;
}

const rank = (severity: Severity) => {
  const index = SEVERITIES.indexOf(severity);
  return index < 0 ? SEVERITIES.length : index;
};

/** Whether any finding is at or above `threshold` (critical > warning > info). */
export function failsAt(findings: readonly FindingItem[], threshold: FailOn): boolean {
  return findings.some((finding) => rank(finding.severity) <= rank(threshold));
}

function severityCell(severity: Severity, style: Style): string {
  if (severity === "critical") return style.red(severity);
  if (severity === "warning") return style.yellow(severity);
  return style.dim(severity);
}

function countBySeverity(findings: readonly FindingItem[]): string {
  const parts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `${findings.length} finding${findings.length === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

/** The table, each row followed by its remedy, then a count by severity. */
export function findingsTable(findings: readonly FindingItem[], options: FindingsOptions): string {
  if (findings.length === 0) return "No findings.\n";
  const sorted = [...findings].sort((a, b) => rank(a.severity) - rank(b.severity));
  const columns: Column<FindingItem>[] = [
    { header: "SEVERITY", cell: (f) => severityCell(f.severity, options.style) },
    { header: "KIND", cell: (f) => f.kind },
    { header: "REFERENCE", cell: (f) => (f.kind === "agent-missing" ? f.reference : familiarRef(f.reference)) },
    { header: "NODES", cell: (f) => listSome(f.nodes, 2) || "-" },
    { header: "SINCE", cell: (f) => formatAgo(f.firstSeenAt, options.now) },
    { header: "MESSAGE", cell: (f) => f.message },
  ];
  const [header = "", ...rows] = renderTableLines(columns, sorted, { headerStyle: options.style.bold });
  const lines = [header];
  rows.forEach((row, i) => {
    lines.push(row);
    const remedy = sorted[i]?.remedy;
    if (remedy) lines.push(options.style.dim(`  fix: ${remedy}`));
  });
  lines.push("", countBySeverity(findings));
  return `${lines.join("\n")}\n`;
}

export async function findingsCommand(client: CollectorClient, options: FindingsOptions): Promise<CommandResult> {
  const findings = await client.listFindings({ kind: options.kind, severity: options.severity });
  const exitCode = options.failOn !== undefined && failsAt(findings, options.failOn) ? 1 : 0;
  return { exitCode, output: renderOutput(findings, options.output, (items) => findingsTable(items, options)) };
}

export const defineFindings: DefineCommand = (program, execute) => {
  program
    .command("findings")
    .summary("list drift findings with their remedies")
    .description(
      [
        "List what the collector found: inconsistent or stale tags, pods running stale images, tags missing in the registry, local-only images, silent agents, pull-policy risks and mixed replicas; each with the nodes, digests and a remedy to run.",
        "Exits 0 whatever is listed, unless --fail-on is given.",
      ].join("\n\n"),
    )
    .addOption(new Option("--kind <kind>", "only findings of this kind").choices(FINDING_KINDS))
    .addOption(new Option("--severity <severity>", "only findings of this severity").choices(SEVERITIES))
    .addOption(
      new Option("--fail-on <severity>", "exit 1 when a listed finding is at least this severe").choices(FAIL_ON),
    )
    .addHelpText(
      "after",
      helpEpilogue([
        "imagedrift findings",
        "imagedrift findings --kind running-stale -o yaml",
        "imagedrift findings --fail-on warning   # in CI: fail on warnings and criticals",
      ]),
    )
    .action((flags: { kind?: FindingKind; severity?: Severity; failOn?: FailOn }) =>
      execute((client, view) => findingsCommand(client, { ...view, ...flags })),
    );
};
