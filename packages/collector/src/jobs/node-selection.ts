import { ImagedriftError, type JobRequest } from "@imagedrift/core";
import type { NewJobNode } from "./job-store.js";

/** A node the collector knows, as job planning sees it. */
export interface KnownNode {
  name: string;
  /** From the agent's `--node-labels` (hello). */
  labels: Readonly<Record<string, string>>;
  /** No report for 3 intervals (docs/ARCHITECTURE.md#findings agent-missing). */
  missing: boolean;
  lastReportAt: string;
}

export interface NodeSelection {
  /** Nodes the job works on. */
  targets: KnownNode[];
  /** Nodes the job leaves alone, with why (`skipped`). */
  skipped: NewJobNode[];
}

export const NO_LABEL_SOURCE = "no label source: start agents with --node-labels or enable the Kubernetes API";

const MAX_NAMED = 10;
const list = (names: readonly string[]) =>
  names.length > MAX_NAMED ? `${names.slice(0, MAX_NAMED).join(", ")}, … (${names.length})` : names.join(", ");

function matches(node: KnownNode, selector: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([key, value]) => node.labels[key] === value);
}

/**
 * Which nodes a job works on: the named `nodes` (every name must be known),
 * narrowed by `nodeSelector` on the agents' labels; without either, every
 * known node. Nodes chosen by default or by selector whose agent is missing
 * are skipped with the reason; a node named explicitly is always tried, so
 * its failure shows.
 */
export function selectNodes(request: JobRequest, known: readonly KnownNode[]): NodeSelection {
  const byName = new Map(known.map((n) => [n.name, n]));
  let candidates: KnownNode[];
  if (request.nodes !== undefined) {
    const unknown = request.nodes.filter((name) => !byName.has(name));
    if (unknown.length > 0) {
      const which = unknown.map((n) => JSON.stringify(n)).join(", ");
      const knownText = known.length ? `known nodes: ${list(known.map((n) => n.name))}` : "no node has reported yet";
      throw new ImagedriftError("invalid-argument", `nodes: unknown node ${which} (${knownText})`);
    }
    candidates = [...new Set(request.nodes)].flatMap((name) => byName.get(name) ?? []);
  } else {
    if (known.length === 0) {
      throw new ImagedriftError("failed-precondition", "no node is known yet: no agent has reported to the collector");
    }
    candidates = [...known];
  }

  const selector = request.nodeSelector ?? {};
  if (Object.keys(selector).length > 0) {
    if (known.every((n) => Object.keys(n.labels).length === 0)) {
      throw new ImagedriftError("invalid-argument", `nodeSelector: ${NO_LABEL_SOURCE}`);
    }
    candidates = candidates.filter((n) => matches(n, selector));
    if (candidates.length === 0) {
      const text = Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      const among = request.nodes ? " among the named nodes" : "";
      throw new ImagedriftError("invalid-argument", `nodeSelector ${text} matches no node${among}`);
    }
  }

  const named = request.nodes !== undefined;
  const targets: KnownNode[] = [];
  const skipped: NewJobNode[] = [];
  for (const node of candidates.sort((a, b) => a.name.localeCompare(b.name))) {
    if (node.missing && !named) {
      skipped.push({
        node: node.name,
        state: "skipped",
        message: `agent missing: no report since ${node.lastReportAt}`,
        steps: [],
      });
    } else {
      targets.push(node);
    }
  }
  return { targets, skipped };
}
