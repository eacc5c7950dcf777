/**
 * `remove`: refresh's clean-up of the images a tag pointed at before. Each
 * image is removed only if, checked right before, nothing uses it, it is
 * neither pinned nor the sandbox image, and a registry can give it back (or
 * the spec allows unrecoverable images).
 */
import { type CommandSpec, formatBytes, protectionReason, unrecoverableCheck } from "@imagedrift/core";
import { readNodeState, removeChecked } from "./checked-removal.js";
import type { CommandContext, CommandOutcome } from "./context.js";
import { recoverabilityOf } from "./prune.js";

export type RemoveSpec = Extract<CommandSpec, { type: "remove" }>;

export async function runRemove(ctx: CommandContext, spec: RemoveSpec): Promise<CommandOutcome> {
  const result = ctx.result;
  if (spec.dryRun) result.dryRun = true;
  const state = await readNodeState(ctx);
  const byId = new Map(state.inventory.images.map((image) => [image.id, image]));
  result.skipped ??= [];
  const skipped = result.skipped;
  const targets = [];
  for (const id of new Set(spec.imageIds)) {
    const image = byId.get(id);
    if (image) targets.push(image);
    else skipped.push({ id, repoTags: [], reason: "not on the node" });
  }
  const onlyCopy = unrecoverableCheck(recoverabilityOf(spec));
  const failures = await removeChecked(ctx, {
    state,
    targets,
    judge: (image) => {
      const reason = protectionReason(image) ?? onlyCopy(image);
      return reason === null ? { action: "remove", reason: "replaced" } : { action: "keep", reason };
    },
    dryRun: spec.dryRun,
  });
  const removed = result.removed ?? [];
  const summary = `${spec.dryRun ? "would remove" : "removed"} ${removed.length} images (${formatBytes(result.reclaimedBytes ?? 0)}), kept ${skipped.length}`;
  return {
    failed: failures.length > 0,
    message: failures.length > 0 ? `${summary}; failed: ${failures.join("; ")}` : summary,
  };
}
