/** `imagedrift verify REF...`: the deploy gate. Exit 0 only when every selected node holds every tag at the expected digest. */

import { shortDigest } from "@imagedrift/core";
import type { CollectorClient } from "../client.js";
import { renderOutput } from "../format/output.js";
import { familiarRef } from "../format/reference.js";
import { type Column, renderTableLines } from "../format/table.js";
import {
  checkRequestedNodes,
  type NodeVerdict,
  parseVerifyTargets,
  type ReferenceVerdict,
  resolveTargetDigests,
  type VerifyResult,
  verifyReferences,
} from "../verify.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type ViewOptions } from "./command.js";
import { parseNodeList } from "./flags.js";

export interface VerifyOptions extends ViewOptions {
  references: string[];
  /** From --nodes; absent = every node in state "reporting". */
  nodes?: string[];
  /** From --digest: require this digest (or the one known digest it starts) instead of the registry's. */
  digest?: string;
  /** Containers still running another digest of a tag fail the gate (after a rollout). */
  failOnRunningStale?: boolean;
}

interface Row {
  reference: ReferenceVerdict;
  node: NodeVerdict;
}

function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function staleCount(result: VerifyResult): number {
  return result.references.reduce((sum, r) => sum + r.runningStale.length, 0);
}

function summary(result: VerifyResult): string {
  if (result.problem !== null) return `verify failed: ${result.problem}`;
  const stale = staleCount(result);
  if (result.passed) {
    const passed = `verify passed: ${countOf(result.references.length, "reference")} at the expected digest on ${countOf(result.nodes.length, "node")}`;
    if (stale === 0) return passed;
    return `${passed}, but ${countOf(stale, "container")} still ${stale === 1 ? "runs" : "run"} an old digest: restart ${stale === 1 ? "it" : "them"} (listed above), or add --fail-on-running-stale to fail the gate on this`;
  }
  const failures = result.references
    .filter((r) => !r.passed)
    .map((r) => {
      const failed = r.nodes.filter((n) => !n.passed).length;
      if (failed > 0) return `${familiarRef(r.reference)} (${failed} of ${countOf(r.nodes.length, "node")})`;
      return `${familiarRef(r.reference)} (${countOf(r.runningStale.length, "container")} still on an old digest)`;
    });
  return `verify failed: ${failures.join(", ")}`;
}

/** `! app:1.2: 2 containers still run an old digest: shop/api-1 (api) on worker-1 runs sha256:…`, then how to restart them. */
function staleLines(reference: ReferenceVerdict, result: VerifyResult, view: ViewOptions): string[] {
  if (reference.runningStale.length === 0) return [];
  const mark = result.failOnRunningStale ? view.style.red("✗") : view.style.yellow("!");
  const n = reference.runningStale.length;
  const lines = [
    `${mark} ${familiarRef(reference.reference)}: ${countOf(n, "container")} still ${n === 1 ? "runs" : "run"} an old digest:`,
  ];
  for (const c of reference.runningStale) {
    const who = c.pod === "" ? `container ${shortDigest(c.containerId)}` : `${c.namespace}/${c.pod} (${c.container})`;
    lines.push(
      `    ${who} on ${c.node} runs ${c.digest === null ? "an image without repo digest" : shortDigest(c.digest)}`,
    );
  }
  if (reference.restart !== "") lines.push(`    restart: ${reference.restart}`);
  return lines;
}

/** One line per reference × node (✓/✗, node, the digest it holds, why it failed), the problems, then a summary. */
export function verifyText(result: VerifyResult, view: ViewOptions): string {
  const { style } = view;
  const rows: Row[] = result.references.flatMap((reference) => reference.nodes.map((node) => ({ reference, node })));
  const columns: Column<Row>[] = [
    { header: "", cell: (r) => (r.node.passed ? style.green("✓") : style.red("✗")) },
    { header: "REFERENCE", cell: (r) => familiarRef(r.reference.reference) },
    { header: "NODE", cell: (r) => r.node.node },
    { header: "DIGEST", cell: (r) => shortDigest(r.node.digest) },
    { header: "", cell: (r) => r.node.reason },
  ];
  const lines = renderTableLines(columns, rows, { header: false });
  for (const reference of result.references) {
    if (reference.problem !== null)
      lines.push(`${style.red("✗")} ${familiarRef(reference.reference)}: ${reference.problem}`);
    lines.push(...staleLines(reference, result, view));
  }
  if (lines.length > 0) lines.push("");
  lines.push(result.passed ? style.green(summary(result)) : style.red(summary(result)));
  return `${lines.join("\n")}\n`;
}

export async function verifyCommand(client: CollectorClient, options: VerifyOptions): Promise<CommandResult> {
  const parsed = parseVerifyTargets(options.references, options.digest);
  const [nodes, tags, findings] = await Promise.all([
    client.listNodes(),
    client.listTags(),
    client.listFindings({ kind: "running-stale" }),
  ]);
  checkRequestedNodes(nodes, options.nodes);
  const targets = resolveTargetDigests(parsed, tags, findings);
  const result = verifyReferences({
    targets,
    tags,
    nodes,
    requestedNodes: options.nodes,
    findings,
    failOnRunningStale: options.failOnRunningStale === true,
  });
  return {
    exitCode: result.passed ? 0 : 1,
    output: renderOutput(result, options.output, (value) => verifyText(value, options)),
  };
}

export const defineVerify: DefineCommand = (program, execute) => {
  program
    .command("verify")
    .summary("deploy gate: check that nodes hold tags at the expected digest")
    .description(
      [
        "Deploy gate: check that every selected node holds each REF at the expected digest, which is the registry's current digest for the tag, or --digest, or the digest pinned in REF (name:tag@sha256:…).",
        "A node without the tag fails; a tag whose registry digest is unresolved fails unless --digest is given. The nodes are those of --nodes (a node the collector does not know is an input error, exit 2), else every node in state reporting. Prints one line per REF × node, then a summary.",
        "Containers on those nodes that still run another digest of a REF (the collector's running-stale findings) are always listed with the command that restarts them. Before a rollout that is expected (the nodes hold the new image, the pods not yet); after one, --fail-on-running-stale makes them fail the gate.",
      ].join("\n\n"),
    )
    .argument("<ref...>", "image references, e.g. nginx:1.27 or registry.example.com/team/app:2.4.1")
    .option("--nodes <a,b>", "only these nodes (default: every node that is reporting)", parseNodeList)
    .option(
      "--digest <sha256:…>",
      "require this digest instead of the registry's: all 64 hex digits, or a prefix of at least 12 (as tables print them) of a digest the collector knows for the tag",
    )
    .option(
      "--fail-on-running-stale",
      "fail the gate when a container on the checked nodes still runs another digest of the tag (for checks after a rollout)",
    )
    .addHelpText(
      "after",
      helpEpilogue(
        [
          "imagedrift verify registry.example.com/team/app:2.4.1",
          "imagedrift verify nginx:1.27 redis:7 --nodes worker-1,worker-2",
          "imagedrift verify app:dev --digest sha256:4f5e6a7b8c9d   # a digest the registry cannot tell",
          "imagedrift verify registry.example.com/team/app:2.4.1 --fail-on-running-stale   # after the rollout",
        ],
        [
          "Exits 0 when everything passed (containers on an old digest are listed, and fail it only with --fail-on-running-stale), 1 when any REF × node failed (the gate is closed), 2 for an unknown node or a --digest that names no or several known digests.",
          "",
        ],
      ),
    )
    .action((references: string[], flags: { nodes?: string[]; digest?: string; failOnRunningStale?: boolean }) =>
      execute((client, view) => verifyCommand(client, { ...view, references, ...flags })),
    );
};
