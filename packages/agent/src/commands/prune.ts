/**
 * `prune`: remove images by policy (docs/ARCHITECTURE.md#prunes-safety-rules). Plans with core's planPrune on
 * a fresh scan of the node, then removes each planned image only after
 * checking it again right before (see checked-removal.ts). A dry run removes
 * nothing and reports what would go and the bytes. Images the collector did
 * not name recoverable stay unless the spec allows unrecoverable ones.
 */
import { statfs } from "node:fs/promises";
import {
  type CommandSpec,
  createPruneJudge,
  formatBytes,
  type PruneRulesInput,
  planPrune,
  type Recoverability,
  type UnrecoverableRule,
} from "@imagedrift/core";
import { readNodeState, removeChecked } from "./checked-removal.js";
import type { CommandContext, CommandOutcome } from "./context.js";

export type PruneSpec = Extract<CommandSpec, { type: "prune" }>;

/** Size of the filesystem holding `mountpoint`, or null when it cannot be read (e.g. not mounted into the agent). */
export async function filesystemCapacity(mountpoint: string): Promise<number | null> {
  if (mountpoint === "") return null;
  try {
    const stats = await statfs(mountpoint);
    return stats.blocks * stats.bsize;
  } catch {
    return null;
  }
}

/** The spec's recoverability facts; absent ones mean nothing is known to be recoverable. */
export function recoverabilityOf(spec: UnrecoverableRule): Recoverability {
  return {
    recoverable: spec.recoverable ?? [],
    unrecoverable: spec.unrecoverable ?? {},
    allow: spec.allowUnrecoverable === true,
  };
}

export async function runPrune(ctx: CommandContext, spec: PruneSpec): Promise<CommandOutcome> {
  const result = ctx.result;
  if (spec.dryRun) result.dryRun = true;
  const state = await readNodeState(ctx);
  const rules: PruneRulesInput = {
    policy: spec.policy,
    protect: spec.protect,
    lastUsed: spec.lastUsed,
    staleImageIds: spec.staleImageIds,
    now: ctx.now(),
    recoverability: recoverabilityOf(spec),
  };
  const capacityBytes =
    spec.policy.targetUsagePercent === undefined ? null : await filesystemCapacity(state.inventory.imageFs.mountpoint);
  const plan = planPrune({ ...rules, inventory: state.inventory, capacityBytes });
  result.skipped = [...plan.keep];
  ctx.log.info("prune planned", {
    mode: spec.policy.mode,
    remove: plan.remove.length,
    keep: plan.keep.length,
    dryRun: spec.dryRun,
    ...(plan.targetBytes === undefined ? {} : { targetBytes: plan.targetBytes }),
  });

  if (spec.dryRun) {
    result.removed = plan.remove.map(({ image }) => ({ id: image.id, repoTags: image.repoTags, bytes: image.size }));
    result.reclaimedBytes = result.removed.reduce((sum, image) => sum + image.bytes, 0);
    return {
      failed: false,
      message: `would remove ${result.removed.length} images (${formatBytes(result.reclaimedBytes)}), keep ${plan.keep.length}`,
    };
  }

  ctx.progress(`removing ${plan.remove.length} images`);
  const failures = await removeChecked(ctx, {
    state,
    targets: plan.remove.map((candidate) => candidate.image),
    judge: createPruneJudge(rules),
    dryRun: false,
  });
  const removed = result.removed ?? [];
  const summary = `removed ${removed.length} images (${formatBytes(result.reclaimedBytes ?? 0)}), kept ${result.skipped.length}`;
  return {
    failed: failures.length > 0,
    message: failures.length > 0 ? `${summary}; failed: ${failures.join("; ")}` : summary,
  };
}
