import {
  type ContainerState,
  compareText,
  formatImageRef,
  type ImageContainer,
  ImagedriftError,
  isDigest,
  isSha256Digest,
  type NodeImage,
  type NodeInventory,
  type PodSandboxSummary,
  type RuntimeInfo,
  tryParseImageRef,
} from "@imagedrift/core";
import type { CriContainer, CriFilesystemUsage, CriImage, CriPodSandbox } from "@imagedrift/cri";

/** Everything one scan read from the runtime. */
export interface RuntimeSnapshot {
  runtime: RuntimeInfo;
  images: CriImage[];
  containers: CriContainer[];
  sandboxes: CriPodSandbox[];
  imageFilesystems: CriFilesystemUsage[];
  /** The pod sandbox (pause) images, as references or image ids (sandbox-image.ts); empty when nothing names one. */
  sandboxImages: readonly string[];
}

const stateByCri: Record<string, ContainerState> = {
  CONTAINER_CREATED: "created",
  CONTAINER_RUNNING: "running",
  CONTAINER_EXITED: "exited",
};

/** uint64 from proto-loader's decimal string; sizes past 2^53 bytes (8 PiB) cannot happen on a node. */
export function toSafeNumber(value: string | null | undefined, field: string): number {
  if (value === null || value === undefined || value === "") return 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ImagedriftError("internal", `runtime reported ${field} = ${value}, not a byte count this node can have`);
  }
  return n;
}

/** The name as given and, when it is a reference that normalises to something else, that too. */
function withNormalised(name: string): string[] {
  const ref = tryParseImageRef(name);
  const normalised = ref ? formatImageRef(ref) : null;
  return normalised !== null && normalised !== name ? [name, normalised] : [name];
}

/**
 * Keys under which a container's image may be named: image id, tags, digests, as given or normalised.
 * An image id (`sha256:<hex>`) is never a reference: it is not parsed, which for a thousand images
 * saves a thousand thrown and caught errors per scan.
 */
function imageKeys(image: CriImage): string[] {
  const keys = isDigest(image.id) ? [image.id] : withNormalised(image.id);
  for (const name of image.repoTags) keys.push(...withNormalised(name));
  for (const name of image.repoDigests) keys.push(...withNormalised(name));
  return keys;
}

function lookupKey(image: string): string[] {
  if (image === "") return [];
  const id = image.startsWith("sha256:") ? image : `sha256:${image}`;
  if (isSha256Digest(id)) return [id];
  return withNormalised(image);
}

function describeContainer(container: CriContainer, sandbox: CriPodSandbox | undefined): ImageContainer {
  const labels = container.labels ?? {};
  return {
    id: container.id,
    pod: sandbox?.metadata?.name || labels["io.kubernetes.pod.name"] || "",
    namespace: sandbox?.metadata?.namespace || labels["io.kubernetes.pod.namespace"] || "",
    podUid: sandbox?.metadata?.uid || labels["io.kubernetes.pod.uid"] || "",
    container: labels["io.kubernetes.container.name"] || container.metadata?.name || "",
    state: stateByCri[container.state] ?? "unknown",
    image: container.image?.image ?? "",
  };
}

function describeSandbox(sandbox: CriPodSandbox): PodSandboxSummary {
  const labels = sandbox.labels ?? {};
  return {
    id: sandbox.id,
    name: sandbox.metadata?.name || labels["io.kubernetes.pod.name"] || "",
    namespace: sandbox.metadata?.namespace || labels["io.kubernetes.pod.namespace"] || "",
    uid: sandbox.metadata?.uid || labels["io.kubernetes.pod.uid"] || "",
    state: sandbox.state === "SANDBOX_READY" ? "ready" : "notready",
  };
}

/**
 * Joins images with the containers that use them. A container uses an image
 * when its image ref (the image id it runs) or the image it was created from
 * names that image; the sandbox image is in use while any sandbox exists.
 */
export function assembleInventory(node: string, snapshot: RuntimeSnapshot, scannedAt: Date): NodeInventory {
  const idByKey = new Map<string, string>();
  for (const image of snapshot.images) {
    for (const key of imageKeys(image)) idByKey.set(key, image.id);
  }
  const sandboxById = new Map(snapshot.sandboxes.map((s) => [s.id, s]));
  const containersByImage = new Map<string, ImageContainer[]>();
  for (const container of snapshot.containers) {
    const candidates = [...lookupKey(container.imageRef), ...lookupKey(container.image?.image ?? "")];
    const imageId = candidates.map((key) => idByKey.get(key)).find((id) => id !== undefined);
    if (imageId === undefined) continue;
    const list = containersByImage.get(imageId) ?? [];
    list.push(describeContainer(container, sandboxById.get(container.podSandboxId)));
    containersByImage.set(imageId, list);
  }
  const sandboxImageIds = new Set(
    snapshot.sandboxImages.flatMap((name) =>
      lookupKey(name)
        .map((key) => idByKey.get(key))
        .filter((id) => id !== undefined),
    ),
  );

  const images: NodeImage[] = snapshot.images.map((image) => {
    const containers = containersByImage.get(image.id) ?? [];
    const sandbox = sandboxImageIds.has(image.id);
    return {
      id: image.id,
      repoTags: [...image.repoTags].sort(),
      repoDigests: [...image.repoDigests].sort(),
      size: toSafeNumber(image.size, `size of image ${image.id}`),
      pinned: image.pinned,
      sandbox,
      inUse: containers.length > 0 || (sandbox && snapshot.sandboxes.length > 0),
      containers: containers.sort((a, b) => compareText(a.id, b.id)),
    };
  });
  images.sort((a, b) => compareText(a.repoTags[0] ?? a.id, b.repoTags[0] ?? b.id) || compareText(a.id, b.id));

  const fs = snapshot.imageFilesystems[0];
  return {
    node,
    runtime: snapshot.runtime,
    scannedAt: scannedAt.toISOString(),
    images,
    pods: snapshot.sandboxes.map(describeSandbox).sort((a, b) => compareText(a.id, b.id)),
    imageFs: {
      mountpoint: fs?.fsId?.mountpoint ?? "",
      usedBytes: toSafeNumber(fs?.usedBytes?.value, "image filesystem usedBytes"),
      inodesUsed: fs?.inodesUsed ? toSafeNumber(fs.inodesUsed.value, "image filesystem inodesUsed") : null,
    },
  };
}
