/**
 * Prune planning (docs/ARCHITECTURE.md#prunes-safety-rules): which of one node's images a policy removes, and
 * why each other candidate stays. Pure: data in, plan out. The agent applies
 * the plan and asks `createPruneJudge` again about each image, freshly read,
 * right before removing it (containerd's CRI RemoveImage does not refuse
 * images in use).
 *
 * Never removed, whatever the policy: an image any container refers to (any
 * state), a pinned image, the sandbox (pause) image, an image matching the
 * keep-list, and an image a `protect` reference names (by tag, repo digest or id).
 * Nor, unless `allowUnrecoverable`, an image no registry is known to give
 * back (see recoverability.ts): kept with the reason, after every other rule.
 *
 * Patterns (include, exclude, keep) are globs over normalised references:
 * see image-pattern.ts.
 *
 * `olderThanMs` needs the collector's history: an image without a `lastUsed`
 * entry is one the collector has not seen yet (it records first sight for
 * never-used images), so its age is unknown and it is kept.
 */
import { formatDuration } from "./duration.js";
import { ImagedriftError } from "./errors.js";
import { compilePattern, matches, namesOf, type Pattern } from "./image-pattern.js";
import { formatImageRef, tryParseImageRef } from "./image-ref.js";
import type { NodeImage, NodeInventory } from "./inventory.js";
import type { PrunePolicy, SkippedImage } from "./job-types.js";
import { unrecoverableReason } from "./recoverability.js";
import { isSha256Digest } from "./short-digest.js";

export { imageMatchesPattern } from "./image-pattern.js";

export interface PruneRulesInput {
  policy: PrunePolicy;
  /** References (or image ids) an active prepull wants: never removed. */
  protect: readonly string[];
  /** Image id → ISO time last seen in use (or first seen), from the collector's history. */
  lastUsed: Readonly<Record<string, string>>;
  /** For mode "stale": ids of images whose tag moved away in the registry. */
  staleImageIds: readonly string[];
  now: Date;
  /** What registries can give back (from the collector); images not in `recoverable` stay unless `allow`. */
  recoverability: Recoverability;
}

export interface Recoverability {
  /** Ids of images a registry serves now. */
  recoverable: readonly string[];
  /** Image id → why it may be the only copy (a default reason otherwise). */
  unrecoverable?: Readonly<Record<string, string>>;
  /** `allowUnrecoverable`: remove such images too. */
  allow: boolean;
}

/** The check `unrecoverableReason` makes, compiled once. */
export function unrecoverableCheck(recoverability: Recoverability): (image: NodeImage) => string | null {
  const facts = {
    recoverable: new Set(recoverability.recoverable),
    unrecoverable: recoverability.unrecoverable ?? {},
    allow: recoverability.allow,
  };
  return (image) => unrecoverableReason(image, facts);
}

export interface PrunePlanInput extends PruneRulesInput {
  inventory: NodeInventory;
  /** Size of the image filesystem in bytes; null when unknown (then `targetUsagePercent` cannot be honoured). */
  capacityBytes: number | null;
}

export interface PruneCandidate {
  image: NodeImage;
  reason: string;
}

export interface PrunePlan {
  /** In removal order. */
  remove: PruneCandidate[];
  /** Images the policy selects that stay, with why. Images it does not select at all are not listed. */
  keep: SkippedImage[];
  /** With `targetUsagePercent`: the image filesystem usage (bytes) to get below. */
  targetBytes?: number;
}

/** What the policy says about one image: remove it, keep it (a candidate held back), or not a candidate at all. */
export type PruneVerdict =
  | { action: "remove"; reason: string }
  | { action: "keep"; reason: string }
  | { action: "ignore" };

function invalid(message: string): ImagedriftError {
  return new ImagedriftError("invalid-argument", message);
}

/** Protect references, normalised: `host/repo:tag`, `host/repo@digest`, or an image id. */
function compileProtect(protect: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const entry of protect) {
    if (isSha256Digest(entry)) {
      set.add(entry);
      continue;
    }
    const ref = tryParseImageRef(entry);
    if (ref === null)
      throw invalid(`protect: ${JSON.stringify(entry)} is neither a valid image reference nor an image id`);
    set.add(formatImageRef(ref));
  }
  return set;
}

function describeUse(image: NodeImage): string {
  const [first] = image.containers;
  if (first === undefined) return "in use";
  const who = first.pod ? `${first.namespace}/${first.pod}` : `container ${first.id.slice(0, 12)}`;
  const more = image.containers.length > 1 ? ` and ${image.containers.length - 1} more` : "";
  return `in use by ${who} (${first.container || "container"}, ${first.state})${more}`;
}

interface SafetyRules {
  keep: Pattern[];
  protect: Set<string>;
}

function safetyReason(image: NodeImage, rules: SafetyRules): string | null {
  if (image.containers.length > 0 || (image.inUse && !image.sandbox)) return describeUse(image);
  if (image.pinned) return "pinned";
  if (image.sandbox) return "sandbox image";
  const names = namesOf(image);
  const keep = rules.keep.find((pattern) => matches(pattern, names));
  if (keep) return `keep-list: ${keep.source}`;
  const wanted = [image.id, ...names.refs].find((name) => rules.protect.has(name));
  if (wanted) return `wanted by a prepull: ${wanted}`;
  return null;
}

/**
 * Why an image must never be removed (in use, pinned, sandbox image,
 * keep-listed, protected), or null. For removals outside a prune policy
 * (refresh's clean-up), checked right before each removal.
 */
export function protectionReason(
  image: NodeImage,
  rules: { keep?: readonly string[]; protect?: readonly string[] } = {},
): string | null {
  return safetyReason(image, {
    keep: (rules.keep ?? []).map(compilePattern),
    protect: compileProtect(rules.protect ?? []),
  });
}

/**
 * Compiles the policy once and returns what it says about an image, apart
 * from `targetUsagePercent` (a plan-wide budget). Throws ImagedriftError
 * ("invalid-argument") on an invalid pattern or protect reference.
 */
export function createPruneJudge(input: PruneRulesInput): (image: NodeImage) => PruneVerdict {
  const { policy } = input;
  const include = (policy.include ?? []).map(compilePattern);
  const exclude = (policy.exclude ?? []).map(compilePattern);
  const safety: SafetyRules = { keep: (policy.keep ?? []).map(compilePattern), protect: compileProtect(input.protect) };
  const stale = new Set(input.staleImageIds);
  const now = input.now.getTime();
  const onlyCopy = unrecoverableCheck(input.recoverability);

  return (image) => {
    const selected =
      policy.mode === "dangling" ? image.repoTags.length === 0 : policy.mode === "stale" ? stale.has(image.id) : true;
    if (!selected) return { action: "ignore" };
    const names = namesOf(image);
    if (include.length > 0 && !include.some((pattern) => matches(pattern, names))) return { action: "ignore" };

    const safe = safetyReason(image, safety);
    if (safe !== null) return { action: "keep", reason: safe };
    const excluded = exclude.find((pattern) => matches(pattern, names));
    if (excluded) return { action: "keep", reason: `excluded: ${excluded.source}` };

    let reason =
      policy.mode === "dangling"
        ? "dangling (no tag), unused"
        : policy.mode === "stale"
          ? "stale (its tag moved away in the registry), unused"
          : "unused";
    if (policy.olderThanMs !== undefined) {
      const seen = Date.parse(input.lastUsed[image.id] ?? "");
      if (Number.isNaN(seen)) return { action: "keep", reason: "no record of its last use: its age is unknown" };
      const age = now - seen;
      if (age < policy.olderThanMs) {
        return {
          action: "keep",
          reason: `used ${formatDuration(Math.max(0, age))} ago, within ${formatDuration(policy.olderThanMs)}`,
        };
      }
      reason += ` for ${formatDuration(age)}`;
    }
    const unrecoverable = onlyCopy(image);
    if (unrecoverable !== null) return { action: "keep", reason: unrecoverable };
    return { action: "remove", reason };
  };
}

/** Least recently used first (no record of last use: last), then the biggest, then by id. */
function lruOrder(lastUsed: Readonly<Record<string, string>>): (a: PruneCandidate, b: PruneCandidate) => number {
  const time = (c: PruneCandidate) => {
    const t = Date.parse(lastUsed[c.image.id] ?? "");
    return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
  };
  return (a, b) => time(a) - time(b) || b.image.size - a.image.size || a.image.id.localeCompare(b.image.id);
}

const skipped = (image: NodeImage, reason: string): SkippedImage => ({
  id: image.id,
  repoTags: image.repoTags,
  reason,
});

/**
 * Plans a prune. With `targetUsagePercent`, removes least recently used first
 * while the image filesystem's used bytes (as the runtime reports them, minus
 * the sizes already planned) are at or above that share of `capacityBytes`.
 */
export function planPrune(input: PrunePlanInput): PrunePlan {
  const { policy, inventory } = input;
  const percent = policy.targetUsagePercent;
  if (percent !== undefined && input.capacityBytes === null) {
    throw new ImagedriftError(
      "failed-precondition",
      "targetUsagePercent: the agent cannot see the image filesystem's capacity (statfs of its mountpoint failed), so it cannot tell usage in percent",
    );
  }
  const judge = createPruneJudge(input);
  const keep: SkippedImage[] = [];
  const removable: PruneCandidate[] = [];
  for (const image of inventory.images) {
    const verdict = judge(image);
    if (verdict.action === "keep") keep.push(skipped(image, verdict.reason));
    else if (verdict.action === "remove") removable.push({ image, reason: verdict.reason });
  }
  if (percent === undefined || input.capacityBytes === null) return { remove: removable, keep };

  const targetBytes = Math.floor((input.capacityBytes * percent) / 100);
  const remove: PruneCandidate[] = [];
  let used = inventory.imageFs.usedBytes;
  for (const candidate of removable.sort(lruOrder(input.lastUsed))) {
    if (used < targetBytes) {
      keep.push(skipped(candidate.image, `image filesystem below ${percent}% without it`));
      continue;
    }
    used -= candidate.image.size;
    remove.push({ image: candidate.image, reason: `${candidate.reason}; least recently used above ${percent}%` });
  }
  return { remove, keep, targetBytes };
}
