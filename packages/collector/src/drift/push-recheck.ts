/**
 * A registry's push notification can come before the registry answers the
 * pushed digest for the tag: docker-registry 2.8 sends it when the manifest
 * is stored and only then moves the tag (test/lab/README.md, "The
 * registry"), so a HEAD sent at once often still gets the previous digest.
 * The notification's digest is a hint, never the answer: while the
 * registry's own answer differs from it, the tag is asked again, a few times
 * over a few seconds (docs/ARCHITECTURE.md, "Registry politeness").
 */
import { setTimeout as delay } from "node:timers/promises";
import type { TagResolution } from "@imagedrift/core";

/** The pauses before each new ask of a tag whose answer is not yet the pushed digest; their sum bounds the wait. */
export const PUSH_RECHECK_DELAYS_MS: readonly number[] = [200, 400, 800, 1600];

export interface PushRecheckOptions {
  /** The tags a notification named, each with the digest its push named (null: none to wait for). */
  pushed: ReadonlyMap<string, string | null>;
  /** Asks the registry for these tags now, whatever the interval, and stores the answers. */
  resolve: (tags: readonly string[]) => Promise<void>;
  /** The stored answer for a tag. */
  answer: (tag: string) => TagResolution | undefined;
  /** Ends the waiting (the collector stops). */
  signal?: AbortSignal;
  delaysMs?: readonly number[];
}

/** Resolves the pushed tags, then again those whose answer is not their pushed digest yet, until the delays run out. */
export async function resolvePushed(options: PushRecheckOptions): Promise<void> {
  const { pushed, answer } = options;
  await options.resolve([...pushed.keys()]);
  for (const ms of options.delaysMs ?? PUSH_RECHECK_DELAYS_MS) {
    const behind = [...pushed].flatMap(([tag, digest]) => {
      const now = answer(tag);
      return digest === null || (now?.state === "found" && now.digest === digest) ? [] : [tag];
    });
    if (behind.length === 0 || options.signal?.aborted) return;
    try {
      await delay(ms, undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      return; // aborted: the collector is stopping
    }
    await options.resolve(behind);
  }
}
