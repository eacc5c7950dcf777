/** Builders of Kubernetes objects for the FAKE API server's tests (fake-kube-api.fake.ts): only the fields read. */
import type { KubeObject } from "./fake-kube-api.fake.js";

export interface ContainerSpec {
  name?: string;
  image: string;
  imagePullPolicy?: string;
  /** `status.imageID`; "" while not started. */
  imageID?: string;
  containerID?: string;
}

export interface PodSpec {
  namespace?: string;
  name: string;
  node?: string;
  phase?: string;
  /** The controller: `{kind: "ReplicaSet", name: "web-5d8f"}`. */
  owner?: { kind: string; name: string };
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
}

const API_VERSION: Record<string, string> = {
  ReplicaSet: "apps/v1",
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  Job: "batch/v1",
  CronJob: "batch/v1",
};

function ownerReferences(owner: { kind: string; name: string } | undefined) {
  if (owner === undefined) return undefined;
  const apiVersion = API_VERSION[owner.kind] ?? "v1";
  return [{ apiVersion, kind: owner.kind, name: owner.name, uid: `uid-${owner.kind}-${owner.name}`, controller: true }];
}

export function podObject(spec: PodSpec): KubeObject {
  const container = (c: ContainerSpec, i: number) => ({
    name: c.name ?? `c${i}`,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy ?? "IfNotPresent",
  });
  const status = (c: ContainerSpec, i: number) => ({
    name: c.name ?? `c${i}`,
    image: c.image,
    imageID: c.imageID ?? "",
    containerID: c.containerID ?? (c.imageID ? `containerd://${spec.name}-${c.name ?? i}` : undefined),
    ready: true,
    restartCount: 0,
  });
  return {
    metadata: {
      name: spec.name,
      namespace: spec.namespace ?? "shop",
      ...(spec.owner ? { ownerReferences: ownerReferences(spec.owner) } : {}),
    },
    spec: {
      nodeName: spec.node ?? "n1",
      containers: spec.containers.map(container),
      initContainers: (spec.initContainers ?? []).map(container),
    },
    status: {
      phase: spec.phase ?? "Running",
      containerStatuses: spec.containers.map(status),
      initContainerStatuses: (spec.initContainers ?? []).map(status),
    },
  };
}

export function nodeObject(name: string, labels: Record<string, string> = {}): KubeObject {
  return { metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels } }, spec: {}, status: {} };
}

/** A ReplicaSet, Job, … owned by `owner` (or by nothing). */
export function ownedObject(namespace: string, name: string, owner?: { kind: string; name: string }): KubeObject {
  return { metadata: { name, namespace, ...(owner ? { ownerReferences: ownerReferences(owner) } : {}) }, spec: {} };
}
