import { type Logger, type ResolveCause, type TagResolution, toImagedriftError } from "@imagedrift/core";
import type { TagStore } from "../store/index.js";
import type { TagResolverLike } from "./drift-inputs.js";
import { storeWrite } from "./store-retries.js";
import type { TagIndex } from "./tag-index.js";

export interface ResolutionQueueOptions {
  resolver: TagResolverLike;
  tags: TagStore;
  /** Which node holds what: whether a tag's holders need the registry's per-platform images. */
  index: TagIndex;
  log: Logger;
  now: () => Date;
  /**
   * New answers were stored; `changed` are the tags whose answer changed
   * (not only its time), whose findings must be recomputed.
   */
  stored: (changed: readonly string[]) => void;
}

/**
 * The registry's last answer for every tag (in TagStore, in memory and
 * SQLite), and the queue of tags waiting for the resolver.
 *
 * Tags are resolved in batches, one at a time: tags asked for while a batch
 * is under way join the next (a herd of first inventories asks for the same
 * tags thousands of times). Only answers that differ from the last are stored.
 */
export class ResolutionQueue {
  readonly #o: ResolutionQueueOptions;
  readonly #resolutions: Map<string, TagResolution>;
  #resolving: Promise<void> | undefined;
  /** The batch that has not started yet, and the tags it will ask for. */
  #nextBatch: Promise<void> | undefined;
  readonly #queued = new Set<string>();
  /** Queued tags to ask whatever the interval. */
  readonly #fresh = new Set<string>();
  /** Why each queued tag is asked: a fresh ask's cause wins over the others', else the first. */
  readonly #causes = new Map<string, ResolveCause>();

  constructor(options: ResolutionQueueOptions) {
    this.#o = options;
    this.#resolutions = options.tags.all();
  }

  /** Every tag's last answer, by tag: the live map. */
  get resolutions(): ReadonlyMap<string, TagResolution> {
    return this.#resolutions;
  }

  /** Resolves after the batch under way and the one queued behind it, if any. */
  idle(): Promise<void> {
    return this.#resolving ?? Promise.resolve();
  }

  /**
   * Queues the tags for the next batch; resolves once that batch is done.
   * With `fresh`, they are asked whatever the interval (a registry said they
   * changed); a tag queued twice is still asked once. A batch never takes
   * tags once it has started: a tag queued while one is under way is asked
   * by the next, after it (a fresh ask gets an answer asked after it).
   * `cause` is kept with each new answer (`resolvedBy`).
   */
  resolve(tags: Iterable<string>, options: { fresh?: boolean; cause: ResolveCause }): Promise<void> {
    for (const tag of tags) {
      this.#queued.add(tag);
      if (options.fresh) this.#fresh.add(tag);
      if (options.fresh || !this.#causes.has(tag)) this.#causes.set(tag, options.cause);
    }
    if (this.#nextBatch === undefined) {
      this.#nextBatch = this.idle().then(() => {
        this.#nextBatch = undefined;
        const batch = [...this.#queued];
        const fresh = new Set(this.#fresh);
        const causes = new Map(this.#causes);
        this.#queued.clear();
        this.#fresh.clear();
        this.#causes.clear();
        return this.#resolveBatch(batch, fresh, causes);
      });
      this.#resolving = this.#nextBatch;
    }
    return this.#nextBatch;
  }

  /** An answer the registry gave outside the queue (a job asking right before it pulls), stored like a batch's. */
  record(tag: string, resolution: TagResolution, cause: ResolveCause): void {
    try {
      this.#store(new Map([[tag, resolution]]), new Map([[tag, cause]]));
    } catch (thrown) {
      this.#o.log.error("storing a tag resolution failed", { error: toImagedriftError(thrown) });
    }
  }

  /**
   * Whether a tag a node now holds needs the resolver: never resolved, or a
   * node holds it at another digest than the registry's and what that digest
   * gives per platform is not known yet (see #withPlatforms).
   */
  needsAsking(tag: string): boolean {
    const resolution = this.#resolutions.get(tag);
    if (resolution === undefined) return true;
    return (
      resolution.state === "found" &&
      resolution.platformImages === undefined &&
      this.#o.resolver.platformImages !== undefined &&
      this.#o.index.holdsOtherThan(tag, resolution.digest)
    );
  }

  /**
   * Adds to each found resolution that some node holds at another digest the
   * image ids the registry's digest gives per platform, so that a node whose
   * platform image did not change (the index moved for another platform, or
   * for new attestations) reads current. The resolver reads each digest once.
   */
  async #withPlatforms(resolved: ReadonlyMap<string, TagResolution>): Promise<ReadonlyMap<string, TagResolution>> {
    const resolver = this.#o.resolver;
    if (resolver.platformImages === undefined) return resolved;
    const withImages = new Map(resolved);
    await Promise.all(
      [...resolved].map(async ([tag, resolution]) => {
        if (resolution.state !== "found" || !this.#o.index.holdsOtherThan(tag, resolution.digest)) return;
        const images = await resolver.platformImages?.(tag, resolution.digest);
        if (images !== null && images !== undefined) withImages.set(tag, { ...resolution, platformImages: images });
      }),
    );
    return withImages;
  }

  async #resolveBatch(
    tags: string[],
    fresh: ReadonlySet<string>,
    causes: ReadonlyMap<string, ResolveCause>,
  ): Promise<void> {
    try {
      this.#store(await this.#withPlatforms(await this.#o.resolver.resolve(tags, this.#o.now(), fresh)), causes);
    } catch (thrown) {
      this.#o.log.error("tag resolution failed", { error: toImagedriftError(thrown) });
    }
  }

  /** Stores the answers that differ from the last (their time included) with their cause; says which changed. */
  #store(resolved: ReadonlyMap<string, TagResolution>, causes: ReadonlyMap<string, ResolveCause>): void {
    const news = new Map<string, TagResolution>();
    for (const [tag, r] of resolved) {
      const old = this.#resolutions.get(tag);
      if (!sameResolution(old, r, true)) news.set(tag, withCause(r, old, causes.get(tag)));
    }
    if (news.size === 0) return;
    storeWrite("storing tag resolutions", () => this.#o.tags.save(news));
    const changed: string[] = [];
    for (const [tag, resolution] of news) {
      const old = this.#resolutions.get(tag);
      this.#resolutions.set(tag, resolution);
      if (!sameResolution(old, resolution, false)) changed.push(tag);
    }
    this.#o.stored(changed);
  }
}

/**
 * The answer with why it was asked: the batch's cause for a new answer; an
 * answer the resolver had already (the same time, platform images added
 * since) keeps the cause it was stored with.
 */
function withCause(r: TagResolution, old: TagResolution | undefined, cause: ResolveCause | undefined): TagResolution {
  if (r.state === "pending") return r;
  const kept = old !== undefined && old.state !== "pending" && old.resolvedAt === r.resolvedAt ? old.resolvedBy : cause;
  return kept === undefined ? r : { ...r, resolvedBy: kept };
}

/** Whether two answers say the same; with `timed`, also at the same time. */
function sameResolution(a: TagResolution | undefined, b: TagResolution, timed: boolean): boolean {
  if (a === undefined || a.state !== b.state) return false;
  if (timed && a.state !== "pending" && b.state !== "pending" && a.resolvedAt !== b.resolvedAt) return false;
  if (a.state === "found" && b.state === "found") {
    return a.digest === b.digest && (a.platformImages?.join() ?? null) === (b.platformImages?.join() ?? null);
  }
  if (a.state === "error" && b.state === "error") return a.error === b.error;
  return true;
}
