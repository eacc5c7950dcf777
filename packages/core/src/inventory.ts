/** What one node's container runtime holds, as reported by its agent (docs/ARCHITECTURE.md#the-agent, #rest-api). */

export const CONTAINER_STATES = ["created", "running", "exited", "unknown"] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];

/** A container that refers to an image, named the way kubelet names it. */
export interface ImageContainer {
  id: string;
  /** Pod name (from the sandbox metadata or the `io.kubernetes.pod.name` label); "" when unknown. */
  pod: string;
  namespace: string;
  /** Container name (`io.kubernetes.container.name` or the container metadata). */
  container: string;
  state: ContainerState;
  podUid: string;
  /** The image as the container asked for it (a reference or an image id). */
  image: string;
}

export interface NodeImage {
  /** The runtime's image id: `sha256:` of the config blob, per platform. Never compared with a registry digest. */
  readonly id: string;
  /** Normalised `host/repository:tag` references. */
  readonly repoTags: readonly string[];
  /** `host/repository@sha256:…`: the digest of what the tag pointed at when pulled (the index for multi-arch). */
  readonly repoDigests: readonly string[];
  /** Bytes. */
  readonly size: number;
  readonly pinned: boolean;
  /** Whether the runtime uses this image as its pod sandbox (pause) image. */
  readonly sandbox: boolean;
  /** True when any container in any state refers to the image, or it is the sandbox image while any sandbox exists. */
  readonly inUse: boolean;
  readonly containers: readonly ImageContainer[];
}

export interface PodSandboxSummary {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  state: "ready" | "notready";
}

export interface ImageFsUsage {
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number | null;
}

export interface RuntimeInfo {
  name: string;
  version: string;
  apiVersion: string;
}

export interface NodeInventory {
  node: string;
  runtime: RuntimeInfo;
  /** ISO 8601 time the scan finished. */
  scannedAt: string;
  images: NodeImage[];
  pods: PodSandboxSummary[];
  imageFs: ImageFsUsage;
}
