import type { ClusterSnapshot, FindingDraft } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { FindingLedger } from "./finding-ledger.js";

const snapshot: ClusterSnapshot = { now: new Date(0), nodes: [], inventories: new Map(), resolutions: new Map() };

const draft = (key: string, node: string): FindingDraft => ({
  key,
  kind: "agent-missing",
  severity: "warning",
  reference: node,
  nodes: [node],
  digests: [],
  registryDigest: null,
  message: `${key} on ${node}`,
  remedy: "",
  pods: [],
});

describe("FindingLedger", () => {
  it("keeps each source's drafts apart: replacing one leaves the others, and a key no source has becomes null", () => {
    const ledger = new FindingLedger();
    const touched = new Set<string>();
    ledger.set({ kind: "node", node: "a" }, [draft("k1", "a")], touched);
    ledger.set({ kind: "tag", tag: "n:a" }, [draft("k2", "x")], touched);
    ledger.set({ kind: "workloads" }, [draft("k3", "w")], touched);
    expect([...touched].sort()).toEqual(["k1", "k2", "k3"]);
    expect([...ledger.merged(touched, snapshot).values()].map((d) => d?.message)).toEqual([
      "k1 on a",
      "k2 on x",
      "k3 on w",
    ]);

    const again = new Set<string>();
    ledger.set({ kind: "node", node: "a" }, [], again);
    expect([...again]).toEqual(["k1"]);
    expect(ledger.merged(again, snapshot)).toEqual(new Map([["k1", null]]));
    // A tag named like a node source is no node.
    expect([...ledger.nodes()]).toEqual([]);
  });

  it("lists the nodes that have drafts", () => {
    const ledger = new FindingLedger();
    const touched = new Set<string>();
    ledger.set({ kind: "node", node: "b" }, [draft("k", "b")], touched);
    ledger.set({ kind: "node", node: "c" }, [], touched);
    expect([...ledger.nodes()]).toEqual(["b"]);
  });
});
