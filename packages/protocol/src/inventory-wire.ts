import { createHash } from "node:crypto";
import {
  describeIssues,
  ImagedriftError,
  type NodeInventory,
  parseImageRef,
  parseRepoDigest,
  tryCatch,
} from "@imagedrift/core";
import { z } from "zod";
import type { WireInventory } from "./messages.js";

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

const MAX_IMAGES = 50_000;
const MAX_CONTAINERS = 50_000;
const text = (max = 512) => z.string().max(max);
const uint = z
  .union([z.string().regex(/^\d{1,16}$/, "must be a non-negative integer"), z.number().int().nonnegative()])
  .transform(Number)
  .refine(Number.isSafeInteger, "is too large");
const reference = z.string().superRefine((value, ctx) => {
  const parsed = tryCatch(() => parseImageRef(value));
  if (parsed.error) ctx.addIssue({ code: "custom", message: parsed.error.message });
});
const repoDigest = z.string().refine((value) => parseRepoDigest(value) !== null, {
  error: (issue) => `invalid repo digest ${JSON.stringify(issue.input)} (expected host/repository@sha256:<64 hex>)`,
});

const containerSchema = z.object({
  id: text(128).min(1),
  pod: text(253),
  namespace: text(253),
  container: text(253),
  state: z.enum(["created", "running", "exited", "unknown"]),
  podUid: text(128),
  image: text(1024),
});

const imageSchema = z.object({
  id: z.string().regex(/^sha256:[a-f0-9]{64}$/, "must be sha256:<64 hex>"),
  repoTags: z.array(reference).max(1000),
  repoDigests: z.array(repoDigest).max(1000),
  size: uint,
  pinned: z.boolean(),
  sandbox: z.boolean(),
  inUse: z.boolean(),
  containers: z.array(containerSchema).max(MAX_CONTAINERS),
});

const inventorySchema = z.object({
  scannedAt: z.iso.datetime({ offset: true }),
  runtime: z.object({ name: text(128), version: text(128), apiVersion: text(32) }),
  images: z.array(imageSchema).max(MAX_IMAGES),
  pods: z
    .array(
      z.object({
        id: text(128).min(1),
        name: text(253),
        namespace: text(253),
        uid: text(128),
        state: z.enum(["ready", "notready"]),
      }),
    )
    .max(MAX_CONTAINERS),
  imageFs: z.object({ mountpoint: text(4096), usedBytes: uint, inodesUsed: uint.nullable() }),
});

/**
 * Validates an inventory from the wire. Every problem is named with its path
 * (`images[3].repoTags[0]: invalid reference "X": …`); nothing partial is returned.
 */
export function fromWireInventory(node: string, wire: WireInventory): NodeInventory {
  const result = inventorySchema.safeParse({
    ...wire,
    imageFs: wire.imageFs && { ...wire.imageFs, inodesUsed: wire.imageFs.inodesUsed ?? null },
  });
  if (!result.success) {
    throw new ImagedriftError(
      "invalid-argument",
      `inventory from node "${node}" rejected:\n${describeIssues(result.error.issues)}`,
    );
  }
  return { node, ...result.data };
}
