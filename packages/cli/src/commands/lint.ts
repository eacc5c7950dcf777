/**
 * `imagedrift lint FILE...|-`: pull-policy and tag risks in Kubernetes
 * manifests, without a cluster or a collector (SPEC §10). Reads files,
 * directories (their *.yaml and *.yml, recursively) or stdin, parses
 * multi-document YAML (`helm template` and `kubectl get -o yaml` output
 * included) and hands the documents to core's lintWorkloads; the rules and
 * why they exist are in packages/core/src/manifest-lint.ts.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import {
  ImagedriftError,
  type LintFinding,
  lintWorkloads,
  type ManifestDocument,
  SEVERITIES,
  type Severity,
  severityAtLeast,
} from "@imagedrift/core";
import { Option } from "commander";
import { parseAllDocuments, type YAMLError } from "yaml";
import { renderOutput } from "../format/output.js";
import type { Style } from "../format/style.js";
import { type Column, renderTableLines } from "../format/table.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type ViewOptions } from "./command.js";

/** How findings from standard input (`-`) name their file. */
export const STDIN_NAME = "<stdin>";
const MANIFEST_FILE = /\.ya?ml$/i;

export interface LintOptions extends ViewOptions {
  /** Files, directories, or `-` for standard input. */
  paths: string[];
  /** Exit 1 when any finding is at least this severe. */
  failOn: Severity;
  /** Reads all of standard input, for `-`. */
  readStdin: () => Promise<string>;
}

function inputError(message: string): ImagedriftError {
  return new ImagedriftError("invalid-argument", message);
}

function readProblem(path: string, error: unknown): ImagedriftError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "no such file or directory"
      : code === "EACCES"
        ? "permission denied"
        : error instanceof Error
          ? error.message
          : String(error);
  return new ImagedriftError("invalid-argument", `cannot read ${path}: ${reason}`, { cause: error });
}

/** The manifest files a path stands for: itself, or a directory's *.yaml and *.yml files in name order. */
async function manifestFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch((error: unknown) => {
    throw readProblem(path, error);
  });
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { recursive: true }).catch((error: unknown) => {
    throw readProblem(path, error);
  });
  const files: string[] = [];
  for (const entry of entries.filter((name) => MANIFEST_FILE.test(name)).sort()) {
    const file = join(path, entry);
    if ((await stat(file).catch(() => null))?.isFile() === true) files.push(file);
  }
  if (files.length === 0) throw inputError(`${path}: no .yaml or .yml files in this directory`);
  return files;
}

/** `file:line:col: reason` and yaml's excerpt with a caret, from the first error of a document. */
function parseProblem(file: string, error: YAMLError): string {
  const [headline = "", ...context] = error.message.split("\n");
  const position = error.linePos?.[0];
  const reason = headline.replace(/ at line \d+, column \d+:?$/, "");
  const where = position === undefined ? file : `${file}:${position.line}:${position.col}`;
  return [`${where}: ${reason}`, ...context.filter((line) => line.trim() !== "").map((line) => `  ${line}`)].join("\n");
}

/** Every document of a multi-document YAML source (null ones included, so numbers match `---` counts), or why it cannot be parsed. */
export function parseManifests(file: string, source: string): ManifestDocument[] | string {
  const documents: ManifestDocument[] = [];
  for (const [i, document] of parseAllDocuments(source).entries()) {
    const error = document.errors[0];
    if (error !== undefined) return parseProblem(file, error);
    try {
      documents.push({ file, index: i + 1, doc: document.toJS() });
    } catch (thrown) {
      return `${file}: document ${i + 1}: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
    }
  }
  return documents;
}

export interface Manifests {
  documents: ManifestDocument[];
  /** How many files were read (stdin counts as one). */
  files: number;
}

/** Reads and parses every path; an unreadable file throws, and one input error lists every file whose YAML is broken. */
export async function readManifests(paths: readonly string[], readStdin: () => Promise<string>): Promise<Manifests> {
  if (paths.filter((path) => path === "-").length > 1) throw inputError("'-' (stdin) can be given only once");
  const documents: ManifestDocument[] = [];
  const problems: string[] = [];
  let read = 0;
  for (const path of paths) {
    const files = path === "-" ? [STDIN_NAME] : await manifestFiles(path);
    for (const file of files) {
      const source = await (file === STDIN_NAME ? readStdin() : readFile(file, "utf8")).catch((error: unknown) => {
        throw readProblem(file, error);
      });
      read += 1;
      const parsed = parseManifests(file, source);
      if (typeof parsed === "string") problems.push(parsed);
      else documents.push(...parsed);
    }
  }
  if (problems.length > 0) throw inputError(`cannot parse YAML:\n${problems.join("\n")}`);
  return { documents, files: read };
}

function severityCell(severity: Severity, style: Style): string {
  if (severity === "critical") return style.red(severity);
  if (severity === "warning") return style.yellow(severity);
  return style.dim(severity);
}

const workload = (f: LintFinding) => [f.kind, f.namespace, f.name ?? "-"].filter((part) => part !== null).join("/");
const CONTAINER_PREFIX = { container: "", initContainer: "init:", ephemeralContainer: "ephemeral:" } as const;
const policy = (f: LintFinding) => (f.pullPolicy === null ? `${f.effectivePullPolicy} (default)` : f.pullPolicy);

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** One row per finding, its remedy under it, then a count by severity. */
export function lintTable(
  findings: readonly LintFinding[],
  counts: { files: number; documents: number },
  style: Style,
) {
  const checked = `${plural(counts.documents, "document")} in ${plural(counts.files, "file")}`;
  if (findings.length === 0) return `No findings: ${checked} checked.\n`;
  const columns: Column<LintFinding>[] = [
    { header: "FILE:DOC", cell: (f) => `${f.file}:${f.document}` },
    { header: "WORKLOAD", cell: workload },
    { header: "CONTAINER", cell: (f) => CONTAINER_PREFIX[f.containerType] + f.container },
    { header: "IMAGE", cell: (f) => f.image || "-" },
    { header: "POLICY", cell: policy },
    { header: "SEVERITY", cell: (f) => severityCell(f.severity, style) },
    { header: "MESSAGE", cell: (f) => f.message },
  ];
  const [header = "", ...rows] = renderTableLines(columns, findings, { headerStyle: style.bold });
  const lines = [header];
  rows.forEach((row, i) => {
    lines.push(row);
    const remedy = findings[i]?.remedy;
    if (remedy) lines.push(style.dim(`  fix: ${remedy}`));
  });
  const bySeverity = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  lines.push("", `${plural(findings.length, "finding")} in ${checked}: ${bySeverity.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

export async function lintCommand(options: LintOptions): Promise<CommandResult> {
  const { documents, files } = await readManifests(options.paths, options.readStdin);
  const findings = lintWorkloads(documents);
  const counts = { files, documents: documents.length };
  const exitCode = findings.some((f) => severityAtLeast(f.severity, options.failOn)) ? 1 : 0;
  return {
    exitCode,
    output: renderOutput(findings, options.output, (items) => lintTable(items, counts, options.style)),
  };
}

/** The `lint` subcommand, reading `-` with `readStdin`. */
export function defineLintWith(readStdin: () => Promise<string>): DefineCommand {
  return (program, execute) => {
    program
      .command("lint")
      .summary("check Kubernetes manifests for pull-policy and tag risks (no collector needed)")
      .description(
        [
          "Check the containers, init containers and ephemeral containers of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs and Lists for image references that let nodes run different or old builds.",
          "critical: :latest (or no tag) with imagePullPolicy IfNotPresent; any tag with Never; an invalid image reference or pull policy. warning: a tag with IfNotPresent, written or defaulted (myapp:v1 defaults to it). info: :latest with Always. A digest-pinned image (name@sha256:…) is never reported.",
          "FILE is a manifest, a directory (its *.yaml and *.yml files, recursively) or - for stdin.",
        ].join("\n\n"),
      )
      .argument("<file...>", "manifest files, directories, or - for stdin")
      .addOption(
        new Option("--fail-on <severity>", "exit 1 when a finding is at least this severe")
          .choices(["info", "warning", "critical"])
          .default("warning"),
      )
      .addHelpText(
        "after",
        helpEpilogue(
          [
            "imagedrift lint deploy/",
            "helm template shop ./chart | imagedrift lint -",
            "kubectl get deploy,sts,ds,cronjob -A -o yaml | imagedrift lint - --fail-on critical",
            "imagedrift lint k8s/app.yaml -o json",
          ],
          [
            "Exits 0 when no finding is at --fail-on or worse, 1 when one is, 2 when a file cannot be read or its YAML cannot be parsed (the message names the file and line).",
            "",
          ],
        ),
      )
      .action((paths: string[], flags: { failOn: Severity }) =>
        execute((_client, view) => lintCommand({ ...view, paths, failOn: flags.failOn, readStdin })),
      );
  };
}

export const defineLint: DefineCommand = defineLintWith(() => text(process.stdin));
