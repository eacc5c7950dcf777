/**
 * `imagedrift lint FILE...|-`: pull-policy and tag risks in Kubernetes
 * manifests, without a cluster or a collector (docs/ARCHITECTURE.md#cli). Reads files,
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

/**
 * `file:line:col: reason`, the source line and a caret under the column.
 * The excerpt is cut from the source itself, not taken from yaml's message:
 * yaml shortens long lines (shifting the caret) and its caret ignores tabs.
 * An error at the very end of a document (an unclosed `[`) points after the
 * last written character, not at column 1 of the empty line that follows.
 */
function parseProblem(file: string, source: string, error: YAMLError): string {
  const [headline = ""] = error.message.split("\n");
  const reason = headline.replace(/ at line \d+, column \d+:?$/, "");
  const position = error.linePos?.[0];
  if (position === undefined) return `${file}: ${reason}`;
  const lines = source.split(/\r?\n/);
  let line = position.line;
  let col = position.col;
  while (line > 1 && (lines[line - 1] ?? "").trim() === "") {
    line -= 1;
    col = (lines[line - 1] ?? "").trimEnd().length + 1;
  }
  const text = lines[line - 1] ?? "";
  const pad = text.slice(0, col - 1).replace(/[^\t]/g, " ");
  return [`${file}:${line}:${col}: ${reason}`, `  ${text}`, `  ${pad}^`].join("\n");
}

/**
 * Every document of a multi-document YAML source that holds something, or
 * why it cannot be parsed. Documents are numbered as they are counted here:
 * empty ones (a bare `---`, or only comments such as helm's `# Source:`) are
 * skipped, so FILE:DOC 2 is the second manifest in the file.
 */
export function parseManifests(file: string, source: string): ManifestDocument[] | string {
  const documents: ManifestDocument[] = [];
  for (const document of parseAllDocuments(source)) {
    const error = document.errors[0];
    if (error !== undefined) return parseProblem(file, source, error);
    try {
      const doc: unknown = document.toJS();
      if (doc !== null && doc !== undefined) documents.push({ file, index: documents.length + 1, doc });
    } catch (thrown) {
      return `${file}: document ${documents.length + 1}: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
    }
  }
  return documents;
}

export interface Manifests {
  documents: ManifestDocument[];
  /** How many files were read and parsed (stdin counts as one). */
  files: number;
  /** Why a file was not linted (broken YAML, no document): one entry each; the others are linted all the same. */
  problems: string[];
}

/**
 * Reads and parses every path. An unreadable path throws (nothing is
 * linted); a file whose YAML is broken, or stdin or a named file without any
 * document, is a problem reported after the others are linted.
 */
export async function readManifests(paths: readonly string[], readStdin: () => Promise<string>): Promise<Manifests> {
  if (paths.filter((path) => path === "-").length > 1) throw inputError("'-' (stdin) can be given only once");
  const documents: ManifestDocument[] = [];
  const problems: string[] = [];
  let read = 0;
  for (const path of paths) {
    const files = path === "-" ? [STDIN_NAME] : await manifestFiles(path);
    const named = files.length === 1 && (path === "-" || files[0] === path);
    for (const file of files) {
      const source = await (file === STDIN_NAME ? readStdin() : readFile(file, "utf8")).catch((error: unknown) => {
        throw readProblem(file, error);
      });
      const parsed = parseManifests(file, source);
      if (typeof parsed === "string") problems.push(parsed);
      else {
        read += 1;
        documents.push(...parsed);
        if (parsed.length === 0 && named) {
          const hint = file === STDIN_NAME ? " (did the command before the pipe fail?)" : "";
          problems.push(`${file}: no YAML document in it${hint}: nothing was checked`);
        }
      }
    }
  }
  if (documents.length === 0 && problems.length === 0) {
    problems.push(`no YAML document in ${paths.join(", ")}: nothing was checked`);
  }
  return { documents, files: read, problems };
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

/** Exit 2 when any input was not linted (it could hide anything), else 1 for a finding at --fail-on, else 0. */
export async function lintCommand(options: LintOptions): Promise<CommandResult> {
  const { documents, files, problems } = await readManifests(options.paths, options.readStdin);
  const findings = lintWorkloads(documents);
  const counts = { files, documents: documents.length };
  const failed = findings.some((f) => severityAtLeast(f.severity, options.failOn));
  const output = renderOutput(findings, options.output, (items) => lintTable(items, counts, options.style));
  if (problems.length === 0) return { exitCode: failed ? 1 : 0, output };
  const notLinted = problems.map((problem) => `imagedrift: not linted: ${problem}`).join("\n");
  return { exitCode: 2, output, errors: `${notLinted}\n` };
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
            "Exits 2 when an input was not linted: a file cannot be read (nothing is linted), or its YAML cannot be parsed (the message names the file, line and column; the other files are linted and reported all the same), or stdin or a named file holds no YAML document (an empty pipe from a failed command). Otherwise 1 when a finding is at --fail-on or worse, else 0.",
            "FILE:DOC counts a file's documents that hold something: empty ones (a bare ---, or only comments) are skipped.",
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
