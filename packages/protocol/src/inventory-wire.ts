import { createHash } from "node:crypto";
import { describeIssues, ImagedriftError, type NodeInventory } from "@imagedrift/core";
import { InventoryChecker } from "./inventory-check.js";
import type { WireInventory } from "./messages.js";
import { MAX_LISTED, Problems } from "./wire-values.js";

/** sha256 of an inventory's content; the scan time is left out so an unchanged node hashes the same. */
export function inventoryHash(inventory: NodeInventory): string {
  const { scannedAt: _scannedAt, ...content } = inventory;
  return `sha256:${createHash("sha256").update(JSON.stringify(content)).digest("hex")}`;
}

export function toWireInventory(inventory: NodeInventory, hash = inventoryHash(inventory)): WireInventory {
  return {
    hash,
    scannedAt: inventory.scannedAt,
    runtime: inventory.runtime,
    images: inventory.images,
    pods: inventory.pods,
    imageFs: inventory.imageFs,
  };
}

function rejected(node: string, problems: Problems): ImagedriftError {
  let text = describeIssues(problems.listed, MAX_LISTED);
  if (problems.count > MAX_LISTED) text += `\n  … and ${problems.count - MAX_LISTED} more`;
  return new ImagedriftError("invalid-argument", `inventory from node "${node}" rejected:\n${text}`);
}

/**
 * Validates an inventory from the wire. Every problem is named with its path
 * (`images[3].repoTags[0]: invalid reference "X": …`), the first 20 of them
 * listed; nothing partial is returned. A long-lived `checker` remembers what
 * it found valid (the gateway keeps one); without it, nothing is remembered.
 */
export function fromWireInventory(
  node: string,
  wire: WireInventory,
  checker: InventoryChecker = new InventoryChecker(),
): NodeInventory {
  const problems = new Problems();
  if (wire === null || wire === undefined) {
    problems.add([], `Invalid input: expected object, received ${wire === null ? "null" : "undefined"}`);
    throw rejected(node, problems);
  }
  // Only own fields count, as in the object spread the zod schema was given; uint64 inodesUsed may be absent.
  const input = {
    ...wire,
    imageFs: wire.imageFs && { ...wire.imageFs, inodesUsed: wire.imageFs.inodesUsed ?? null },
  };
  const inventory = checker.check(input, problems);
  if (problems.count > 0) throw rejected(node, problems);
  return { node, ...inventory };
}
