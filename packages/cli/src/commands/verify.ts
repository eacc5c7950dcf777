/** `imagedrift verify REF...`: the deploy gate. Exit 0 only when every selected node holds every tag at the expected digest. */
import type { CollectorClient } from "../client.js";
import { shortDigest } from "../format/digest.js";
import { renderOutput } from "../format/output.js";
import { familiarRef } from "../format/reference.js";
import { type Column, renderTableLines } from "../format/table.js";
import {
  type NodeVerdict,
  parseVerifyTargets,
  type ReferenceVerdict,
  type VerifyResult,
  verifyReferences,
} from "../verify.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type ViewOptions } from "./command.js";
import { parseNodeList } from "./flags.js";

export interface VerifyOptions extends ViewOptions {
  references: string[];
  /** From --nodes; absent = every node in state "reporting". */
  nodes?: string[];
  /** From --digest: require this digest instead of the registry's. */
  digest?: string;
}

interface Row {
  reference: ReferenceVerdict;
  node: NodeVerdict;
}

function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function summary(result: VerifyResult): string {
  if (result.problem !== null) return `verify failed: ${result.problem}`;
  if (result.passed) {
    return `verify passed: ${countOf(result.references.length, "reference")} at the expected digest on ${countOf(result.nodes.length, "node")}`;
  }
  const failures = result.references
    .filter((r) => !r.passed)
    .map((r) => {
      const failed = r.nodes.filter((n) => !n.passed).length;
      return `${familiarRef(r.reference)} (${failed} of ${countOf(r.nodes.length, "node")})`;
    });
  return `verify failed: ${failures.join(", ")}`;
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
  }
  if (lines.length > 0) lines.push("");
  lines.push(result.passed ? style.green(summary(result)) : style.red(summary(result)));
  return `${lines.join("\n")}\n`;
}

export async function verifyCommand(client: CollectorClient, options: VerifyOptions): Promise<CommandResult> {
  const targets = parseVerifyTargets(options.references, options.digest);
  const [nodes, tags] = await Promise.all([client.listNodes(), client.listTags()]);
  const result = verifyReferences({ targets, tags, nodes, requestedNodes: options.nodes });
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
        "A node without the tag fails; a tag whose registry digest is unresolved fails unless --digest is given. The nodes are those of --nodes, else every node in state reporting. Prints one line per REF × node, then a summary.",
      ].join("\n\n"),
    )
    .argument("<ref...>", "image references, e.g. nginx:1.27 or registry.example.com/team/app:2.4.1")
    .option("--nodes <a,b>", "only these nodes (default: every node that is reporting)", parseNodeList)
    .option("--digest <sha256:…>", "require this digest instead of the registry's")
    .addHelpText(
      "after",
      helpEpilogue(
        [
          "imagedrift verify registry.example.com/team/app:2.4.1",
          "imagedrift verify nginx:1.27 redis:7 --nodes worker-1,worker-2",
          "imagedrift verify app:dev --digest sha256:4f5e…   # a digest the registry cannot tell",
        ],
        ["Exits 0 when everything passed, 1 when any REF × node failed (the gate is closed).", ""],
      ),
    )
    .action((references: string[], flags: { nodes?: string[]; digest?: string }) =>
      execute((client, view) => verifyCommand(client, { ...view, references, ...flags })),
    );
};
