/**
 * One informer of @kubernetes/client-node (list, then watch from the list's
 * resourceVersion), kept running.
 *
 * The library relists by itself when a watch ends with 410 Gone (an ERROR
 * event with code 410, then the server closes the stream; or a 410 answer to
 * the watch request) and re-watches when a stream closes cleanly. Any other
 * failure (the list fails, the connection is refused or drops) emits `error`
 * and the informer stays stopped: this class starts it again after a capped,
 * jittered backoff. A restart watches from the last resourceVersion, or lists
 * again when there is none; a relist reports objects that vanished meanwhile
 * as deleted. It logs once per state change (watching → failing → watching),
 * never per retry.
 */
import type { Logger } from "@imagedrift/core";
import { toImagedriftError } from "@imagedrift/core";
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
} from "@kubernetes/client-node";
import { type BackoffPolicy, retryDelay } from "../jobs/node-task.js";

export interface InformerHandlers<T extends KubernetesObject> {
  upsert(object: T): void;
  remove(object: T): void;
  /** A list has been applied (the first one, and every relist). */
  listed?(): void;
}

export interface ResilientInformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** For logs: `pods`, `nodes`. */
  resource: string;
  /** The API path watched: `/api/v1/pods`. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  handlers: InformerHandlers<T>;
  log: Logger;
  backoff: BackoffPolicy;
  /** [0, 1): the jitter. */
  random?: () => number;
}

type State = "starting" | "watching" | "failing" | "stopped";

export class ResilientInformer<T extends KubernetesObject> {
  readonly #o: ResilientInformerOptions<T>;
  readonly #informer;
  readonly #random: () => number;
  #state: State = "starting";
  #failures = 0;
  /** Errors seen so far: a start during which none came got its watch open. */
  #errors = 0;
  #restart: NodeJS.Timeout | undefined;
  #lastListAt = Number.NEGATIVE_INFINITY;
  #quickRelists = 0;

  constructor(options: ResilientInformerOptions<T>) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
    const list = async () => {
      await this.#paceRelists();
      const result = await options.list();
      if (this.#state === "stopped") throw new Error("stopped");
      // The informer applies the list right after this promise settles, in the same turn: report it after that.
      // (Healthy is decided by the watch that follows: a server that lists but refuses watches is failing.)
      setImmediate(() => {
        if (this.#state !== "stopped") options.handlers.listed?.();
      });
      return result;
    };
    this.#informer = makeInformer<T>(options.kubeConfig, options.path, list);
    this.#informer.on("add", (object) => options.handlers.upsert(object));
    this.#informer.on("update", (object) => options.handlers.upsert(object));
    this.#informer.on("delete", (object) => options.handlers.remove(object));
    this.#informer.on("error", (error) => this.#failed(error));
  }

  get state(): State {
    return this.#state;
  }

  start(): void {
    this.#run();
  }

  async stop(): Promise<void> {
    this.#state = "stopped";
    clearTimeout(this.#restart);
    await this.#informer.stop();
  }

  #run(): void {
    if (this.#state === "stopped") return;
    const before = this.#errors;
    this.#informer.start().then(
      () => {
        // start() resolves once the watch request got its answer headers; an error before that was reported.
        if (this.#errors === before) this.#healthy();
      },
      (thrown: unknown) => this.#failed(thrown),
    );
  }

  /**
   * The library relists at once after every 410: should the server answer
   * 410 to each fresh list's watch, that would be a tight loop. A list that
   * follows the previous one within the longest backoff waits first, longer
   * each time (a legitimate relist comes minutes apart, and waits nothing).
   */
  async #paceRelists(): Promise<void> {
    const now = Date.now();
    this.#quickRelists = now - this.#lastListAt < this.#o.backoff.maxMs ? this.#quickRelists + 1 : 0;
    this.#lastListAt = now;
    if (this.#quickRelists === 0) return;
    const delay = retryDelay(this.#quickRelists, this.#o.backoff, this.#random);
    await new Promise((resolve) => setTimeout(resolve, delay).unref());
    if (this.#state === "stopped") throw new Error("stopped");
  }

  #healthy(): void {
    if (this.#state === "stopped" || this.#state === "watching") return;
    if (this.#state === "failing") {
      this.#o.log.info("kubernetes: watching again", { resource: this.#o.resource, failedAttempts: this.#failures });
    } else {
      this.#o.log.info("kubernetes: watching", { resource: this.#o.resource });
    }
    this.#state = "watching";
    this.#failures = 0;
  }

  #failed(error: unknown): void {
    this.#errors += 1;
    if (this.#state === "stopped") return; // stopping aborts the watch, which the library reports as an error
    this.#failures += 1;
    const delay = retryDelay(this.#failures, this.#o.backoff, this.#random);
    if (this.#state !== "failing") {
      this.#o.log.warn("kubernetes: list or watch failed; retrying with backoff", {
        resource: this.#o.resource,
        error: toImagedriftError(error),
      });
      this.#state = "failing";
    } else {
      this.#o.log.debug("kubernetes: retry failed", { resource: this.#o.resource, attempt: this.#failures, delay });
    }
    clearTimeout(this.#restart);
    this.#restart = setTimeout(() => this.#run(), delay);
    this.#restart.unref();
  }
}
