/**
 * Names the workload that owns a pod. A pod's controller is often not what
 * people deploy: a ReplicaSet belongs to a Deployment, a Job to a CronJob.
 * Those two are read (GET, once per controller, cached) to find their own
 * controller; StatefulSets, DaemonSets and the rest own their pods directly.
 *
 * While the first lookup of a controller runs, its pods are not named yet
 * (`settled: false`): naming them by the ReplicaSet for a moment would open
 * findings under one key and move them to another. When it answers, or fails,
 * `onResolved` says which controller's pods to name again; after a failure
 * they are named by their direct controller until a retry succeeds. A failed
 * lookup is retried with capped, jittered backoff; a warning is logged when
 * lookups of a kind start failing and an info line when they work again, not
 * at every retry.
 */
import type { Logger, WorkloadRef } from "@imagedrift/core";
import { toImagedriftError, workloadKey } from "@imagedrift/core";
import { ApiException, AppsV1Api, BatchV1Api, type KubeConfig, type V1OwnerReference } from "@kubernetes/client-node";
import { type BackoffPolicy, retryDelay } from "../jobs/node-task.js";
import { controllerOf } from "./pod-projection.js";

/** The controllers whose own controller names the workload. */
const LOOKED_UP: ReadonlySet<string> = new Set(["ReplicaSet", "Job"]);

export interface OwnerReader {
  /** The controller of a ReplicaSet or Job; null when it has none or is gone (404); throws when it cannot be read. */
  controllerOf(kind: string, namespace: string, name: string): Promise<{ kind: string; name: string } | null>;
}

/** Reads ReplicaSets and Jobs from the API server (RBAC: get replicasets, jobs). */
export function apiOwnerReader(kubeConfig: KubeConfig): OwnerReader {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  return {
    async controllerOf(kind, namespace, name) {
      try {
        const object =
          kind === "ReplicaSet"
            ? await apps.readNamespacedReplicaSet({ name, namespace })
            : await batch.readNamespacedJob({ name, namespace });
        const ref = controllerOf(object.metadata);
        return ref === undefined ? null : { kind: ref.kind, name: ref.name };
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return null;
        throw error;
      }
    },
  };
}

export interface OwnerResolverOptions {
  reader: OwnerReader;
  log: Logger;
  backoff: BackoffPolicy;
  /** [0, 1): the jitter. */
  random?: () => number;
  /** The pods of the controller with this key (`ns/Kind/name`) are named otherwise now: name them again. */
  onResolved(controllerKey: string): void;
}

interface Pending {
  attempt: number;
  timer?: NodeJS.Timeout;
}

export class OwnerResolver {
  readonly #o: OwnerResolverOptions;
  readonly #random: () => number;
  /** Controller key → the workload it belongs to. */
  readonly #cache = new Map<string, WorkloadRef>();
  readonly #pending = new Map<string, Pending>();
  /** Kinds whose lookups fail now (one warning each until they work again). */
  readonly #failing = new Set<string>();
  #stopped = false;

  constructor(options: OwnerResolverOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  /** The key of a pod's controller (`ns/Kind/name`), or null for a pod without one. */
  static controllerKey(namespace: string, controller: V1OwnerReference | undefined): string | null {
    return controller === undefined ? null : workloadKey({ kind: controller.kind, namespace, name: controller.name });
  }

  /**
   * The pod's workload as known now, and whether that is settled (false
   * while the first lookup of its controller runs, which this starts).
   */
  workloadOf(
    namespace: string,
    pod: string,
    controller: V1OwnerReference | undefined,
  ): { workload: WorkloadRef; settled: boolean } {
    if (controller === undefined) return { workload: { kind: "Pod", namespace, name: pod }, settled: true };
    const direct: WorkloadRef = { kind: controller.kind, namespace, name: controller.name };
    if (!LOOKED_UP.has(controller.kind)) return { workload: direct, settled: true };
    const key = workloadKey(direct);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return { workload: cached, settled: true };
    let pending = this.#pending.get(key);
    if (pending === undefined && !this.#stopped) pending = this.#lookup(key, direct, 1);
    return { workload: direct, settled: pending === undefined || pending.attempt > 1 || pending.timer !== undefined };
  }

  /** No pod names this controller any more: drop what is known of it, and stop looking it up. */
  forget(controllerKey: string): void {
    this.#cache.delete(controllerKey);
    clearTimeout(this.#pending.get(controllerKey)?.timer);
    this.#pending.delete(controllerKey);
  }

  stop(): void {
    this.#stopped = true;
    for (const pending of this.#pending.values()) clearTimeout(pending.timer);
    this.#pending.clear();
  }

  #lookup(key: string, direct: WorkloadRef, attempt: number): Pending {
    const pending: Pending = { attempt };
    this.#pending.set(key, pending);
    const current = () => !this.#stopped && this.#pending.get(key) === pending;
    this.#o.reader.controllerOf(direct.kind, direct.namespace, direct.name).then(
      (owner) => {
        if (!current()) return;
        this.#pending.delete(key);
        this.#recovered(direct.kind);
        const workload = owner === null ? direct : { kind: owner.kind, namespace: direct.namespace, name: owner.name };
        this.#cache.set(key, workload);
        this.#o.onResolved(key);
      },
      (thrown: unknown) => {
        if (!current()) return;
        const delay = retryDelay(attempt, this.#o.backoff, this.#random);
        if (!this.#failing.has(direct.kind)) {
          this.#failing.add(direct.kind);
          this.#o.log.warn("kubernetes: cannot read the owners of pods; naming pods by their direct controller", {
            kind: direct.kind,
            error: toImagedriftError(thrown),
          });
        }
        pending.timer = setTimeout(() => {
          if (current()) this.#lookup(key, direct, attempt + 1);
        }, delay);
        pending.timer.unref();
        if (attempt === 1) this.#o.onResolved(key); // named by the direct controller until a retry succeeds
      },
    );
    return pending;
  }

  #recovered(kind: string): void {
    if (!this.#failing.delete(kind)) return;
    this.#o.log.info("kubernetes: owners of pods can be read again", { kind });
  }
}
