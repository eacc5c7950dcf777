/**
 * What the Kubernetes API says about the cluster's pods, reduced to what the
 * workload findings (docs/ARCHITECTURE.md#findings `pull-policy-risk`, `mixed-replicas`) read: each
 * pod with the workload that owns it, and each container with its image, its
 * pull policy and the image the kubelet reports it runs (`status.imageID`).
 *
 * `imageID` comes in several shapes, depending on the runtime and its version:
 * `docker-pullable://repo@sha256:…` (dockershim), `repo@sha256:…` (containerd:
 * the image's first repo digest, the digest of what the tag pointed at),
 * `sha256:<config>` (an image id: containerd for an image without repo digest,
 * CRI-O, older versions) or `docker://sha256:…`. A repo digest is compared as
 * it is; an image id is mapped through the agent's inventory of the pod's node
 * (NodeImage.id → repoDigests), so both views name the same digest. An image
 * id is never compared with a repo digest, nor with another node's image id
 * (it is per platform).
 */
import type { ClusterSnapshot } from "./drift-types.js";
import { imageNames, isImageId } from "./image-names.js";
import { parseRepoDigest, repositoryOf, tryParseImageRef } from "./image-ref.js";
import type { NodeImage, NodeInventory } from "./inventory.js";

/** The workload that owns a pod: its top controller (ReplicaSet → Deployment, Job → CronJob), else the pod itself. */
export interface WorkloadRef {
  /** `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`, `Job`, `CronJob`, …; `Pod` for a pod without controller. */
  kind: string;
  namespace: string;
  name: string;
}

/** One container of a pod spec, with its status. */
export interface PodContainer {
  name: string;
  type: "container" | "initContainer";
  /** Its place in the pod spec's `containers` or `initContainers` (the same as in the workload's template). */
  index: number;
  /** As written in the spec. */
  image: string;
  /** As the API server set it (it defaults every container); "" when absent. */
  imagePullPolicy: string;
  /** `status.imageID`; "" while the container has not started. */
  imageId: string;
  /** `status.containerID` without its `containerd://` scheme: the CRI container id; "" when none. */
  containerId: string;
}

export interface WorkloadPod {
  namespace: string;
  name: string;
  uid: string;
  /** `spec.nodeName`; "" while unscheduled. */
  node: string;
  /** `status.phase`: `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`. */
  phase: string;
  owner: WorkloadRef;
  containers: PodContainer[];
}

/** `Deployment default/web`. */
export function describeWorkload(owner: WorkloadRef): string {
  return `${owner.kind} ${owner.namespace}/${owner.name}`;
}

/** A stable identity: `default/Deployment/web`. */
export function workloadKey(owner: WorkloadRef): string {
  return `${owner.namespace}/${owner.kind}/${owner.name}`;
}

/** `docker-pullable://`, `docker://`, `containerd://`, … */
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//;

/** The value without its URL-like scheme: `docker-pullable://repo@sha256:…` → `repo@sha256:…`. */
export function withoutScheme(value: string): string {
  return value.replace(SCHEME, "");
}

interface InventoryIndex {
  byId: ReadonlyMap<string, NodeImage>;
  byContainer: ReadonlyMap<string, NodeImage>;
}

const indexCache = new WeakMap<NodeInventory, InventoryIndex>();

function inventoryIndex(inventory: NodeInventory): InventoryIndex {
  let index = indexCache.get(inventory);
  if (index === undefined) {
    const byId = new Map(inventory.images.map((image) => [image.id, image]));
    const byContainer = new Map(inventory.images.flatMap((image) => image.containers.map((c) => [c.id, image])));
    index = { byId, byContainer };
    indexCache.set(inventory, index);
  }
  return index;
}

/** The bare id as agents report it: `sha256:<hex>`. */
function asImageId(id: string): string {
  return id.startsWith("sha256:") ? id : `sha256:${id}`;
}

/**
 * The repo digest a pod's container runs, for the repository of its image:
 * from `imageID` when that is a repo digest, else through the agent's
 * inventory of the node (by image id, then by container id). Null when
 * nothing says (no agent on the node, or an image without repo digest).
 */
export function runningDigest(pod: WorkloadPod, container: PodContainer, snapshot: ClusterSnapshot): string | null {
  const imageId = withoutScheme(container.imageId);
  if (imageId !== "" && !isImageId(imageId)) {
    const repoDigest = parseRepoDigest(imageId);
    if (repoDigest !== null) return repoDigest.digest;
  }
  const inventory = snapshot.inventories.get(pod.node);
  const ref = tryParseImageRef(container.image);
  if (inventory === undefined || ref === null) return null;
  const index = inventoryIndex(inventory);
  const image =
    (isImageId(imageId) ? index.byId.get(asImageId(imageId)) : undefined) ??
    (container.containerId === "" ? undefined : index.byContainer.get(container.containerId));
  if (image === undefined) return null;
  return imageNames(image).digests.get(repositoryOf(ref))?.[0] ?? null;
}
