/**
 * Removing images safely. containerd's CRI RemoveImage removes an image that
 * containers use, without error (test/lab/README.md), so right before each removal the
 * agent lists images, containers and pod sandboxes again and asks the policy
 * about the image as it is now. What is left is the window between that
 * listing and RemoveImage itself, which CRI gives no way to close.
 */
import {
  ImagedriftError,
  type NodeImage,
  type NodeInventory,
  type PruneVerdict,
  toImagedriftError,
} from "@imagedrift/core";
import { assembleInventory, type RuntimeSnapshot } from "../inventory.js";
import { readRuntime } from "../scanner.js";
import type { CommandContext } from "./context.js";

/** The node as read once at the start of a command; the sandbox image must be known. */
export interface NodeState {
  snapshot: RuntimeSnapshot;
  inventory: NodeInventory;
}

/**
 * Reads the node. Refuses (failed-precondition) when nothing names the
 * sandbox (pause) image: not the runtime's status, its sandboxes, its pinned
 * images nor --sandbox-image (sandbox-image.ts). Without it the pause image
 * cannot be told apart, and removing it breaks every new pod (containerd#6160).
 */
export async function readNodeState(ctx: CommandContext): Promise<NodeState> {
  const snapshot = await readRuntime(ctx.cri, { sandboxImage: ctx.sandboxImage });
  if (snapshot.sandboxImages.length === 0) {
    throw new ImagedriftError(
      "failed-precondition",
      "nothing names the pod sandbox (pause) image (not the runtime's status, its pod sandboxes nor a pinned image), so it cannot be protected: refusing to remove images. Set the agent's --sandbox-image (env IMAGEDRIFT_SANDBOX_IMAGE) to the runtime's pause image, e.g. registry.k8s.io/pause:3.10",
    );
  }
  return { snapshot, inventory: assembleInventory(ctx.node, snapshot, ctx.now()) };
}

/** The images as they are now: images, containers and sandboxes listed again. */
async function relist(ctx: CommandContext, state: NodeState): Promise<NodeImage[]> {
  const [images, containers, sandboxes] = await Promise.all([
    ctx.cri.listImages(),
    ctx.cri.listContainers(),
    ctx.cri.listPodSandboxes(),
  ]);
  return assembleInventory(ctx.node, { ...state.snapshot, images, containers, sandboxes }, ctx.now()).images;
}

const nameOf = (image: { id: string; repoTags: readonly string[] }) => image.repoTags[0] ?? image.id.slice(0, 19);

export interface CheckedRemoval {
  state: NodeState;
  /** In order. */
  targets: readonly NodeImage[];
  /** Asked about each target as it is right before its removal; only "remove" removes it. */
  judge: (image: NodeImage) => PruneVerdict;
  dryRun: boolean;
}

/**
 * Re-checks and removes each target in turn (with `dryRun`, only re-checks),
 * adding to `ctx.result.removed`, `skipped` and `reclaimedBytes`. Stops
 * between images when `ctx.signal` is aborted. Returns the failures.
 */
export async function removeChecked(ctx: CommandContext, removal: CheckedRemoval): Promise<string[]> {
  const result = ctx.result;
  result.removed ??= [];
  result.skipped ??= [];
  result.reclaimedBytes ??= 0;
  const { removed, skipped } = result;
  const failures: string[] = [];
  for (const [index, target] of removal.targets.entries()) {
    if (ctx.signal.aborted) break;
    try {
      const image = (await relist(ctx, removal.state)).find((i) => i.id === target.id);
      const verdict: PruneVerdict = image ? removal.judge(image) : { action: "keep", reason: "no longer on the node" };
      if (image !== undefined && verdict.action === "remove") {
        if (!removal.dryRun) await ctx.cri.removeImage(image.id);
        removed.push({ id: image.id, repoTags: image.repoTags, bytes: image.size });
        result.reclaimedBytes += image.size;
        const fields = { image: image.id, tags: image.repoTags, bytes: image.size, reason: verdict.reason };
        ctx.log.info(removal.dryRun ? "image would be removed" : "image removed", fields);
      } else {
        const reason = verdict.action === "keep" ? verdict.reason : "no longer selected by the policy";
        skipped.push({ id: target.id, repoTags: target.repoTags, reason });
        ctx.log.info("image kept at the last check", { image: target.id, tags: target.repoTags, reason });
      }
    } catch (thrown) {
      const error = toImagedriftError(thrown);
      failures.push(`${nameOf(target)}: ${error.message}`);
      skipped.push({ id: target.id, repoTags: target.repoTags, reason: `removal failed: ${error.message}` });
      ctx.log.warn("image removal failed", { image: target.id, tags: target.repoTags, error });
    }
    ctx.progress(`checked ${index + 1}/${removal.targets.length}: ${nameOf(target)}`);
  }
  return failures;
}
