/**
 * What the collector learns from the Kubernetes API: every pod (all
 * namespaces) with its owner workload, containers, pull policies and the
 * images their status reports, and every node with its labels. Informers
 * (list + watch) keep an in-memory model current; the events given to
 * `start` say when something the findings or job selectors read has changed,
 * and when a node leaves the cluster.
 *
 * RBAC: list and watch pods and nodes; get replicasets and jobs (to name a
 * pod's Deployment or CronJob). With `pullSecrets`, the pods' imagePullSecrets
 * and service accounts are indexed by repository too (docs/registries.md#pull-secrets).
 */
import type { Logger, WorkloadPod } from "@imagedrift/core";
import { CoreV1Api, type KubeConfig, type V1Node, type V1Pod } from "@kubernetes/client-node";
import type { BackoffPolicy } from "../jobs/node-task.js";
import { type OwnerReader, OwnerResolver } from "./owner-resolver.js";
import { controllerOf, objectKey, type PodPullSecrets, podPullSecrets, projectPod, samePod } from "./pod-projection.js";
import { PullSecretIndex } from "./pull-secret-index.js";
import { ResilientInformer } from "./resilient-informer.js";

export const DEFAULT_KUBERNETES_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

/** Deleted node names remembered (oldest forgotten first): enough to tell "deleted" from "never seen" for a while. */
const DELETED_NODES_KEPT = 10_000;

export type NodePresence = "present" | "deleted" | "unknown";

export interface KubernetesWatcherOptions {
  kubeConfig: KubeConfig;
  /** Reads ReplicaSets and Jobs; apiOwnerReader(kubeConfig) in production. */
  owners: OwnerReader;
  log: Logger;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Index pods' pull secrets by repository, for `podsUsing` (`--kubernetes-pull-secrets`). */
  pullSecrets?: boolean;
}

/** What the watcher tells as it follows the API (given to `start`: the drift domain it feeds is built after it). */
export interface KubernetesEvents {
  /** Pods or node labels changed in a way findings or job selectors see (called often: coalesce). */
  onChange?: () => void;
  /** A node was deleted from the cluster (a watch DELETED event, or gone from a relist). */
  onNodeDeleted?: (node: string) => void;
}

interface KnownPod {
  pod: V1Pod;
  projection: WorkloadPod;
  controllerKey: string | null;
  /** False while its owner is being looked up for the first time: left out of pods() until then. */
  settled: boolean;
}

/** Whether the findings see the same pod: a change of status they do not read (probes, conditions) is no change. */
function sameAs(previous: KnownPod | undefined, known: KnownPod): boolean {
  return previous !== undefined && previous.settled === known.settled && samePod(previous.projection, known.projection);
}

export class KubernetesWatcher {
  readonly #o: KubernetesWatcherOptions;
  #events: KubernetesEvents = {};
  readonly #owners: OwnerResolver;
  readonly #pods: ResilientInformer<V1Pod>;
  readonly #nodes: ResilientInformer<V1Node>;
  /** By `namespace/name`, as the informer keys them. */
  readonly #model = new Map<string, KnownPod>();
  /** Controller key → keys of its pods. */
  readonly #byController = new Map<string, Set<string>>();
  readonly #nodeLabels = new Map<string, Readonly<Record<string, string>>>();
  readonly #deletedNodes = new Set<string>();
  readonly #pullSecrets: PullSecretIndex | undefined;
  readonly #syncWaiters: (() => void)[] = [];
  #podsListed = false;
  #nodesListed = false;
  #synced = false;

  constructor(options: KubernetesWatcherOptions) {
    this.#o = options;
    this.#pullSecrets = options.pullSecrets ? new PullSecretIndex() : undefined;
    const backoff = options.backoff ?? DEFAULT_KUBERNETES_BACKOFF;
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    const common = { kubeConfig: options.kubeConfig, log: options.log, backoff, random: options.random };
    this.#owners = new OwnerResolver({
      reader: options.owners,
      log: options.log,
      backoff,
      random: options.random,
      onResolved: (key) => this.#reproject(key),
    });
    this.#pods = new ResilientInformer<V1Pod>({
      ...common,
      resource: "pods",
      path: "/api/v1/pods",
      list: () => core.listPodForAllNamespaces(),
      handlers: {
        upsert: (pod) => this.#upsertPod(pod),
        remove: (pod) => this.#removePod(objectKey(pod.metadata)),
        listed: () => this.#listed("pods"),
      },
    });
    this.#nodes = new ResilientInformer<V1Node>({
      ...common,
      resource: "nodes",
      path: "/api/v1/nodes",
      list: () => core.listNode(),
      handlers: {
        upsert: (node) => this.#upsertNode(node),
        remove: (node) => this.#removeNode(node.metadata?.name ?? ""),
        listed: () => this.#listed("nodes"),
      },
    });
  }

  start(events: KubernetesEvents = {}): void {
    this.#events = events;
    this.#nodes.start();
    this.#pods.start();
  }

  async stop(): Promise<void> {
    this.#owners.stop();
    await Promise.all([this.#pods.stop(), this.#nodes.stop()]);
  }

  /**
   * Whether pods and nodes have both been listed once and the workloads of
   * those pods named: before that, absence means nothing. Once true, stays true.
   */
  synced(): boolean {
    if (this.#synced || !this.#podsListed || !this.#nodesListed) return this.#synced;
    if (![...this.#model.values()].every((known) => known.settled)) return false;
    this.#synced = true;
    this.#o.log.info("kubernetes: pods and nodes listed", { pods: this.#model.size, nodes: this.#nodeLabels.size });
    return true;
  }

  /** Resolves once `synced()` is true. */
  whenSynced(): Promise<void> {
    if (this.synced()) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** Every pod known whose workload is named, as the findings read them. */
  pods(): WorkloadPod[] {
    return [...this.#model.values()].flatMap((known) => (known.settled ? [known.projection] : []));
  }

  /** The pods whose containers use `repository` (`host/repository`), with their pull secrets; [] without `pullSecrets`. */
  podsUsing(repository: string): PodPullSecrets[] {
    return this.#pullSecrets?.podsUsing(repository) ?? [];
  }

  /** The node's Kubernetes labels; undefined when the API server has no such node. */
  nodeLabels(node: string): Readonly<Record<string, string>> | undefined {
    return this.#nodeLabels.get(node);
  }

  /** `present`, `deleted` (seen, then deleted), or `unknown` (never seen: after sync, not in the cluster). */
  nodePresence(node: string): NodePresence {
    if (this.#nodeLabels.has(node)) return "present";
    return this.#deletedNodes.has(node) ? "deleted" : "unknown";
  }

  #listed(resource: "pods" | "nodes"): void {
    if (resource === "pods") this.#podsListed = true;
    else this.#nodesListed = true;
    this.#changed();
  }

  #changed(): void {
    if (this.#syncWaiters.length > 0 && this.synced()) for (const wake of this.#syncWaiters.splice(0)) wake();
    this.#events.onChange?.();
  }

  #project(pod: V1Pod): KnownPod {
    const namespace = pod.metadata?.namespace ?? "";
    const controller = controllerOf(pod.metadata);
    const { workload, settled } = this.#owners.workloadOf(namespace, pod.metadata?.name ?? "", controller);
    const controllerKey = OwnerResolver.controllerKey(namespace, controller);
    return { pod, projection: projectPod(pod, workload), controllerKey, settled };
  }

  #upsertPod(pod: V1Pod): void {
    const key = objectKey(pod.metadata);
    const previous = this.#model.get(key);
    const known = this.#project(pod);
    if (previous !== undefined && previous.controllerKey !== known.controllerKey) this.#unindex(key, previous);
    this.#model.set(key, known);
    this.#pullSecrets?.set(key, podPullSecrets(pod));
    if (known.controllerKey !== null) {
      const keys = this.#byController.get(known.controllerKey) ?? new Set<string>();
      keys.add(key);
      this.#byController.set(known.controllerKey, keys);
    }
    if (!sameAs(previous, known)) this.#changed();
  }

  #removePod(key: string): void {
    const previous = this.#model.get(key);
    if (previous === undefined) return;
    this.#model.delete(key);
    this.#pullSecrets?.set(key, undefined);
    this.#unindex(key, previous);
    this.#changed();
  }

  #unindex(key: string, known: KnownPod): void {
    if (known.controllerKey === null) return;
    const keys = this.#byController.get(known.controllerKey);
    keys?.delete(key);
    if (keys !== undefined && keys.size > 0) return;
    this.#byController.delete(known.controllerKey);
    this.#owners.forget(known.controllerKey);
  }

  /** The controller's workload became known: name its pods again. */
  #reproject(controllerKey: string): void {
    let changed = false;
    for (const key of this.#byController.get(controllerKey) ?? []) {
      const previous = this.#model.get(key);
      if (previous === undefined) continue;
      const known = this.#project(previous.pod);
      this.#model.set(key, known);
      changed ||= !sameAs(previous, known);
    }
    if (changed) this.#changed();
  }

  #upsertNode(node: V1Node): void {
    const name = node.metadata?.name ?? "";
    const labels = { ...(node.metadata?.labels ?? {}) };
    const previous = this.#nodeLabels.get(name);
    this.#deletedNodes.delete(name);
    this.#nodeLabels.set(name, labels);
    if (previous === undefined || JSON.stringify(previous) !== JSON.stringify(labels)) this.#changed();
  }

  #removeNode(name: string): void {
    this.#nodeLabels.delete(name);
    this.#deletedNodes.add(name);
    for (const old of this.#deletedNodes) {
      if (this.#deletedNodes.size <= DELETED_NODES_KEPT) break;
      this.#deletedNodes.delete(old);
    }
    this.#o.log.info("kubernetes: node deleted from the cluster", { node: name });
    this.#events.onNodeDeleted?.(name);
    this.#changed();
  }
}
