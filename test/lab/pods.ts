/**
 * Pods on a lab node the way kubelet makes them, through CRI: a sandbox with
 * host network (no CNI needed) and kubelet's labels, containers labelled with
 * their names, each left created, running or exited. This is how tests get
 * images that are "in use" by real containers.
 */
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ImagedriftError } from "@imagedrift/core";
import { type ContainerConfig, CriClient, type PodSandboxConfig } from "@imagedrift/cri";

export type PodContainerState = "created" | "running" | "exited";
export type PullPolicy = "always" | "if-not-present" | "never";

export interface PodContainerSpec {
  name: string;
  /** A lab reference, `127.0.0.1:PORT/repo:tag`. */
  image: string;
  /** Default "running". */
  state?: PodContainerState;
  /** As kubelet's imagePullPolicy; default "if-not-present" (so images imported on the node run as they are). */
  pull?: PullPolicy;
  command?: string[];
  args?: string[];
}

export interface PodSpec {
  name: string;
  /** Default "default". */
  namespace?: string;
  /** Default a random UUID. */
  uid?: string;
  labels?: Record<string, string>;
  containers: readonly PodContainerSpec[];
}

export interface PodNode {
  /** `unix:///…` CRI endpoint. */
  endpoint: string;
  /** The node's dir; pod logs go under it. */
  dir: string;
}

export interface RunPodResult {
  podSandboxId: string;
  name: string;
  namespace: string;
  uid: string;
  containers: { name: string; id: string; image: string; imageRef: string; state: PodContainerState }[];
}

const NAMESPACES = { network: "NODE", pid: "CONTAINER", ipc: "POD" } as const;

/** Pulls each image, runs the sandbox, then creates (and starts, or starts and stops) each container. */
export async function runPod(node: PodNode, spec: PodSpec): Promise<RunPodResult> {
  const namespace = spec.namespace ?? "default";
  const uid = spec.uid ?? randomUUID();
  const podLabels = {
    "io.kubernetes.pod.name": spec.name,
    "io.kubernetes.pod.namespace": namespace,
    "io.kubernetes.pod.uid": uid,
  };
  const logDirectory = join(node.dir, "pods", `${namespace}_${spec.name}_${uid}`);
  // No hostname: with the host UTS namespace (network NODE) runc refuses one (README.md here).
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name: spec.name, uid, namespace, attempt: 0 },
    logDirectory,
    labels: { ...spec.labels, ...podLabels },
    annotations: {},
    linux: { securityContext: { namespaceOptions: NAMESPACES } },
  };

  const cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
  try {
    const imageRefs = new Map<string, string>();
    for (const container of spec.containers) {
      if (!imageRefs.has(container.image)) imageRefs.set(container.image, await ensureImage(cri, container));
    }
    const podSandboxId = await cri.runPodSandbox(sandboxConfig);

    const containers: RunPodResult["containers"] = [];
    for (const container of spec.containers) {
      await mkdir(join(logDirectory, container.name), { recursive: true });
      const config: ContainerConfig = {
        metadata: { name: container.name, attempt: 0 },
        image: { image: container.image },
        ...(container.command ? { command: container.command } : {}),
        ...(container.args ? { args: container.args } : {}),
        labels: { ...podLabels, "io.kubernetes.container.name": container.name },
        annotations: {},
        logPath: join(container.name, "0.log"),
        linux: { securityContext: { namespaceOptions: NAMESPACES } },
      };
      const id = await cri.createContainer(podSandboxId, config, sandboxConfig);
      const state = container.state ?? "running";
      if (state !== "created") await cri.startContainer(id);
      if (state === "exited") await cri.stopContainer(id, 10);
      containers.push({
        name: container.name,
        id,
        image: container.image,
        imageRef: imageRefs.get(container.image) ?? "",
        state,
      });
    }
    return { podSandboxId, name: spec.name, namespace, uid, containers };
  } finally {
    cri.close();
  }
}

/** The image id for a container's image, pulled according to its pull policy. */
async function ensureImage(cri: CriClient, container: PodContainerSpec): Promise<string> {
  const policy = container.pull ?? "if-not-present";
  if (policy !== "always") {
    const present = await cri.imageStatus(container.image);
    if (present) return present.id;
    if (policy === "never") {
      throw new ImagedriftError(
        "not-found",
        `image ${container.image} of container ${container.name} is not on the node (pull: never)`,
      );
    }
  }
  return cri.pullImage(container.image);
}

/** Stops and removes the sandbox (CRI removes its containers with it). */
export async function removePod(node: PodNode, pod: RunPodResult | string): Promise<void> {
  const id = typeof pod === "string" ? pod : pod.podSandboxId;
  const cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
  try {
    await cri.stopPodSandbox(id);
    await cri.removePodSandbox(id);
  } finally {
    cri.close();
  }
}
