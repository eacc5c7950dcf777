/**
 * Whether a registry still has an image by digest (`host/repo@sha256:…`):
 * what tells an old version, whose tag moved on, from an only copy. Answers
 * are remembered for a while (a digest's content never changes, but it can be
 * deleted), so a prune across many nodes holding the same old image asks once.
 */
import { BoundedMap, type ImageRef, parseImageRef, toImagedriftError, tryCatch } from "@imagedrift/core";
import { type Clock, systemClock } from "./clock.js";

export type Presence = { state: "present" } | { state: "absent" } | { state: "unknown"; error: string };

/** Asks the registry whether `ref`'s repository has the manifest `digest`; throws when it cannot tell. */
export type ManifestAsk = (ref: ImageRef, digest: string) => Promise<boolean>;

/** Distinct digests remembered at most; past it the memory starts again. */
const LIMIT = 50_000;

export class ManifestPresence {
  readonly #ask: ManifestAsk;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #known = new BoundedMap<string, { at: number; answer: Promise<Presence> }>(LIMIT);

  constructor(options: { ask: ManifestAsk; ttlMs: number; clock?: Clock }) {
    this.#ask = options.ask;
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether the registry has `repoDigest` (`host/repo@digest`), asked at most once per ttl; never throws. */
  of(repoDigest: string): Promise<Presence> {
    const now = this.#clock.now();
    const known = this.#known.get(repoDigest);
    if (known !== undefined && now - known.at < this.#ttlMs) return known.answer;
    const answer = this.#askNow(repoDigest);
    this.#known.set(repoDigest, { at: now, answer });
    return answer;
  }

  async #askNow(repoDigest: string): Promise<Presence> {
    const parsed = tryCatch(() => parseImageRef(repoDigest));
    const ref = parsed.value;
    if (ref === undefined || ref.digest === null) {
      return { state: "unknown", error: parsed.error?.message ?? `${repoDigest} names no digest` };
    }
    try {
      return (await this.#ask(ref, ref.digest)) ? { state: "present" } : { state: "absent" };
    } catch (thrown) {
      // Not remembered: the next prune asks again.
      this.#known.delete(repoDigest);
      return { state: "unknown", error: toImagedriftError(thrown).message };
    }
  }
}
