/**
 * Resolving the tags the cluster holds, politely (docs/ARCHITECTURE.md#registry-politeness): each distinct tag
 * at most once per resolve interval whatever the number of nodes holding it;
 * concurrent asks for one tag share one request; tags are grouped by registry
 * and each group runs as many at a time as the registry's concurrency cap.
 * When a registry is down (no connection, rate limited, or timeouts on two
 * repositories), the rest of its group in that round is not asked: those tags
 * stay unresolved until the next round, instead of each costing retries
 * against a dead host. An answer about one repository (5xx, 404, 401) is that
 * repository's alone: the host's other tags are still asked.
 */
import {
  boundedMemo,
  type ImageRef,
  type Logger,
  parseImageRef,
  silentLogger,
  type TagResolution,
  tryCatch,
} from "@imagedrift/core";
import { type Clock, systemClock } from "./clock.js";
import { platformImages } from "./platform-images.js";
import { RegistryClient, type RegistryClientOptions, type RegistryResult } from "./registry-client.js";
import { emptyRegistriesConfig, hostConfig } from "./registry-host.js";

export type ResolvedTag = Exclude<TagResolution, { state: "pending" }>;

export interface TagResolverOptions extends RegistryClientOptions {
  /** `--resolve-interval`: how long a resolution stands before the tag is asked again. */
  resolveIntervalMs: number;
}

interface Entry {
  /** When (ms) the last resolution of the tag started. */
  startedAt: number;
  /** When (ms) the tag was last asked for; entries nobody asks for are dropped. */
  askedAt: number;
  result?: ResolvedTag;
  pending?: Promise<ResolvedTag>;
  /**
   * The request to send once `pending` settles, for the fresh asks that came
   * after `pending` started: its answer may predate what they were told (a
   * push), so they wait for one asked after them, and share it.
   */
  next?: Promise<ResolvedTag>;
}

/** Manifests are immutable: what a digest gives per platform is kept, for this many digests. */
const PLATFORM_MEMO_LIMIT = 10_000;

/** Repositories that time out before the host counts as down: one slow repository is that repository's trouble. */
const TIMEOUTS_FOR_DOWN = 2;
/**
 * How much sooner than a whole interval the periodic resolve may ask again: its
 * tick and the batch that asks are a few milliseconds apart, by an amount that
 * varies, so an answer asked at one tick could read "younger than an interval"
 * at the next and be skipped, asking each tag every other interval.
 */
const TICK_SLACK_MS = 1_000;

export class TagResolver {
  readonly #options: TagResolverOptions;
  readonly #client: RegistryClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  /** How long an answer stands for a non-fresh ask: the interval, less the tick's slack. */
  readonly #cachedForMs: number;
  /** By `host/repository@digest`: the image ids the digest gives per platform; null when it could not be read. */
  readonly #platforms = boundedMemo((key: string) => this.#readPlatforms(key), PLATFORM_MEMO_LIMIT);

  constructor(options: TagResolverOptions) {
    this.#options = options;
    this.#client = new RegistryClient(options);
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger;
    this.#cachedForMs = options.resolveIntervalMs - Math.min(TICK_SLACK_MS, options.resolveIntervalMs / 10);
  }

  /** The last resolution of `tag`, without asking the registry; undefined when it never finished one. */
  lastResolution(tag: string): ResolvedTag | undefined {
    return this.#entries.get(tag)?.result;
  }

  /** Whether `ref`'s repository still has the manifest `digest` (see RegistryClient.hasManifest). */
  hasManifest(ref: ImageRef, digest: string): Promise<boolean> {
    return this.#client.hasManifest(ref, digest);
  }

  /**
   * What the registry says of `tag` now, bypassing the interval (through the
   * same client, so its rate limit and tokens apply): for a job about to pull.
   * The answer stands for the interval like any other (the newest there is),
   * unless a request for the tag is under way, whose answer will.
   */
  async askNow(tag: string): Promise<RegistryResult> {
    const startedAt = this.#clock.now();
    const result = await this.#resolveOne(tag);
    const entry = this.#entries.get(tag);
    if (entry === undefined) {
      this.#entries.set(tag, { startedAt, askedAt: startedAt, result: resolutionOf(result) });
    } else if (entry.pending === undefined) {
      entry.startedAt = startedAt;
      entry.result = resolutionOf(result);
    }
    return result;
  }

  /**
   * The resolution of each tag (normalised `host/repository:tag`): from the
   * cache when it started less than the interval (less TICK_SLACK_MS) before
   * `now`, else asked now.
   * Tags in `fresh` (a registry said they were pushed) are asked now whatever
   * the interval; when a request for one started before `now` is under way,
   * they get the answer of a request sent after it settles (one per tag,
   * shared by every fresh ask until it is sent), never the one under way,
   * which the registry may have answered before the push. `now` is when the
   * caller was asked (docs/ARCHITECTURE.md, "Registry politeness").
   */
  async resolve(
    tags: readonly string[],
    now: Date = new Date(this.#clock.now()),
    fresh: ReadonlySet<string> = new Set(),
  ): Promise<Map<string, TagResolution>> {
    const t = now.getTime();
    this.#forgetUnasked(t);
    const waits: [string, Promise<ResolvedTag>][] = [];
    const groups = new Map<string, Start[]>();
    for (const tag of new Set(tags)) {
      const entry = this.#entries.get(tag);
      if (entry) entry.askedAt = t;
      if (entry?.pending && fresh.has(tag) && entry.startedAt < t) {
        entry.next ??= this.#askAfter(tag, entry, now);
        waits.push([tag, entry.next]);
        continue;
      }
      if (entry?.pending) {
        waits.push([tag, entry.pending]);
        continue;
      }
      if (entry?.result && !fresh.has(tag) && t - entry.startedAt < this.#cachedForMs) {
        waits.push([tag, Promise.resolve(entry.result)]);
        continue;
      }
      let settle!: (result: ResolvedTag) => void;
      const pending = new Promise<ResolvedTag>((resolve) => {
        settle = resolve;
      });
      this.#entries.set(tag, { startedAt: t, askedAt: t, pending, ...(entry?.result ? { result: entry.result } : {}) });
      waits.push([tag, pending]);
      const parsed = tryCatch(() => parseImageRef(tag));
      const host = parsed.value?.host ?? "";
      groups.set(host, [...(groups.get(host) ?? []), { tag, settle }]);
    }
    for (const [host, starts] of groups) void this.#resolveGroup(host, starts);
    const results = await Promise.all(waits.map(async ([tag, wait]) => [tag, await wait] as const));
    return new Map(results);
  }

  /** Asks for `tag` once `pending` has settled (see resolve: a fresh ask during a request started before it). */
  async #askAfter(tag: string, entry: Entry, now: Date): Promise<ResolvedTag> {
    await entry.pending;
    // From here on the resolve below has a request of its own under way: later fresh asks wait for that one.
    delete entry.next;
    const answers = await this.resolve([tag], now, new Set([tag]));
    return answers.get(tag) as ResolvedTag;
  }

  /**
   * The image ids (config digests) that `digest`, a digest the registry gave
   * for `tag`, gives per platform: read once per digest (manifests are
   * immutable), only when asked (a node holds the tag at another digest).
   * Null when the registry could not say; asked again next time.
   */
  platformImages(tag: string, digest: string): Promise<readonly string[] | null> {
    return this.#platforms(`${repositoryOf(tag)}@${digest}`);
  }

  async #readPlatforms(key: string): Promise<readonly string[] | null> {
    const at = key.lastIndexOf("@");
    const digest = key.slice(at + 1);
    try {
      const ref = parseImageRef(key.slice(0, at));
      return Object.freeze(await platformImages((d) => this.#client.manifest(ref, d), digest));
    } catch (error) {
      this.#platforms.forget(key);
      this.#log.warn("could not read what a digest gives per platform", {
        manifest: key,
        error: error instanceof Error ? error.message : String(error),
      });
      return null;
    }
  }

  /** Resolves one registry's tags, `maxConcurrentRequests` at a time; stops asking once the registry is down. */
  async #resolveGroup(host: string, starts: readonly Start[]): Promise<void> {
    const workers =
      host === "" ? 1 : hostConfig(this.#options.registries ?? emptyRegistriesConfig, host).maxConcurrentRequests;
    let down: RegistryError | undefined;
    const timedOut = new Set<string>();
    const saysDown = (tag: string, result: RegistryResult): result is RegistryError => {
      if (result.state !== "error" || result.scope === "repository") return false;
      if (result.scope === "host") return true;
      timedOut.add(repositoryOf(tag));
      return timedOut.size >= TIMEOUTS_FOR_DOWN;
    };
    let next = 0;
    const work = async () => {
      for (let start = starts[next++]; start !== undefined; start = starts[next++]) {
        let result: RegistryResult;
        if (down !== undefined) {
          result = { ...down, error: `${start.tag}: not asked: registry ${host} is not answering (${down.error})` };
        } else {
          result = await this.#resolveOne(start.tag);
          if (down === undefined && saysDown(start.tag, result)) {
            down = result;
            this.#log.warn("registry is not answering; its other tags stay unresolved this round", {
              registry: host,
              error: result.error,
            });
          }
        }
        this.#finish(start, result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(workers, starts.length) }, work));
  }

  async #resolveOne(tag: string): Promise<RegistryResult> {
    const parsed = tryCatch(() => parseImageRef(tag));
    if (parsed.error) {
      return {
        state: "error",
        error: parsed.error.message,
        code: parsed.error.code,
        scope: "repository",
        resolvedAt: this.#nowIso(),
      };
    }
    try {
      return await this.#client.resolveTag(parsed.value);
    } catch (error) {
      // resolveTag does not throw; should it ever, the tag must still settle (others wait on it).
      const message = error instanceof Error ? error.message : String(error);
      return {
        state: "error",
        error: `${tag}: ${message}`,
        code: "internal",
        scope: "repository",
        resolvedAt: this.#nowIso(),
      };
    }
  }

  #finish(start: Start, result: RegistryResult): void {
    const resolution = resolutionOf(result);
    const entry = this.#entries.get(start.tag);
    if (entry) {
      entry.result = resolution;
      delete entry.pending;
    }
    start.settle(resolution);
  }

  /** Drops what nobody asked for in two intervals, so that the map follows the cluster's tags. */
  #forgetUnasked(now: number): void {
    for (const [tag, entry] of this.#entries) {
      if (!entry.pending && now - entry.askedAt > 2 * this.#options.resolveIntervalMs) this.#entries.delete(tag);
    }
  }

  #nowIso(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

/** A registry's answer as a resolution: an error without its code and scope. */
export function resolutionOf(result: RegistryResult): ResolvedTag {
  return result.state === "error" ? { state: "error", error: result.error, resolvedAt: result.resolvedAt } : result;
}

/** `host/repository` of a normalised tag (`host/repository:tag`). */
function repositoryOf(tag: string): string {
  return tag.slice(0, tag.lastIndexOf(":"));
}

type RegistryError = Extract<RegistryResult, { state: "error" }>;

interface Start {
  tag: string;
  settle: (result: ResolvedTag) => void;
}
