/**
 * A Kubernetes Pod reduced to what the findings read (core's WorkloadPod):
 * where it runs, who owns it, and per container (init containers included)
 * the image, the pull policy and what the kubelet reports it runs. Objects
 * come from list calls (typed) and from watch events (plain JSON); both have
 * the same field names, and only those are read.
 */
import type { PodContainer, WorkloadPod, WorkloadRef } from "@imagedrift/core";
import { withoutScheme } from "@imagedrift/core";
import type { V1Container, V1ContainerStatus, V1ObjectMeta, V1OwnerReference, V1Pod } from "@kubernetes/client-node";

/** The controller a Kubernetes object names in its ownerReferences (`controller: true`), if any. */
export function controllerOf(metadata: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

/** `namespace/name`: the informer cache's key and the model's. */
export function objectKey(metadata: V1ObjectMeta | undefined): string {
  return `${metadata?.namespace ?? ""}/${metadata?.name ?? ""}`;
}

function containers(
  specs: readonly V1Container[] | undefined,
  statuses: readonly V1ContainerStatus[] | undefined,
  type: PodContainer["type"],
): PodContainer[] {
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  return (specs ?? []).map((spec, index) => {
    const status = byName.get(spec.name);
    return {
      name: spec.name,
      type,
      index,
      image: spec.image ?? "",
      imagePullPolicy: spec.imagePullPolicy ?? "",
      imageId: status?.imageID ?? "",
      containerId: withoutScheme(status?.containerID ?? ""),
    };
  });
}

/** The pod as the findings see it, owned by `owner` (its top workload, resolved by the caller). */
export function projectPod(pod: V1Pod, owner: WorkloadRef): WorkloadPod {
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
    node: pod.spec?.nodeName ?? "",
    phase: pod.status?.phase ?? "Unknown",
    owner,
    containers: [
      ...containers(pod.spec?.initContainers, pod.status?.initContainerStatuses, "initContainer"),
      ...containers(pod.spec?.containers, pod.status?.containerStatuses, "container"),
    ],
  };
}

/** Whether two projections say the same: a pod update that changes neither (probes, conditions) changes no finding. */
export function samePod(a: WorkloadPod | undefined, b: WorkloadPod): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What kubelet reads to pull a pod's images with credentials
 * (docs/registries.md#pull-secrets): the pod's namespace, its service account
 * (whose own imagePullSecrets count too) and the Secrets its spec names, in
 * order; the images of all its containers. Names only, never secret content.
 */
export interface PodPullSecrets {
  namespace: string;
  pod: string;
  serviceAccount: string;
  secrets: readonly string[];
  images: readonly string[];
}

export function podPullSecrets(pod: V1Pod): PodPullSecrets {
  const spec = pod.spec;
  const images = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.image ?? "");
  return {
    namespace: pod.metadata?.namespace ?? "",
    pod: pod.metadata?.name ?? "",
    serviceAccount: spec?.serviceAccountName || "default",
    secrets: (spec?.imagePullSecrets ?? []).flatMap((ref) => (ref.name ? [ref.name] : [])),
    images: images.filter((image) => image !== ""),
  };
}
