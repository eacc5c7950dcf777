/**
 * CRI runtime.v1 messages in the shape @grpc/proto-loader produces with
 * `{ keepCase: false, longs: String, enums: String, defaults: true }`:
 * camelCase fields, 64-bit integers as decimal strings, enums as their names.
 * Only the fields imagedrift reads or writes are typed.
 */

export type Labels = Record<string, string>;

export interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** uint64, decimal string. */
  size: string;
  pinned: boolean;
  spec?: { image: string; annotations?: Labels } | null;
}

export type CriContainerState = "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";

export interface CriContainer {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number } | null;
  image: { image: string } | null;
  imageRef: string;
  state: CriContainerState;
  createdAt: string;
  labels: Labels;
  annotations: Labels;
}

export type CriPodSandboxState = "SANDBOX_READY" | "SANDBOX_NOTREADY";

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface CriPodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: CriPodSandboxState;
  createdAt: string;
  labels: Labels;
  annotations: Labels;
}

export interface CriPodSandboxStatus {
  status: { id: string; metadata: PodSandboxMetadata | null; state: CriPodSandboxState; createdAt: string } | null;
  /** Verbose info: JSON strings keyed by topic (containerd and CRI-O: "info", with the sandbox's image). */
  info: Labels;
}

export interface CriFilesystemUsage {
  timestamp: string;
  fsId: { mountpoint: string } | null;
  usedBytes: { value: string } | null;
  inodesUsed: { value: string } | null;
}

export interface CriVersion {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface CriStatus {
  conditions: { type: string; status: boolean; reason: string; message: string }[];
  /** Verbose info: JSON strings keyed by topic (containerd, CRI-O and cri-dockerd put their config under "config"). */
  info: Labels;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  /** Must name the registry host exactly as the runtime contacts it, or containerd drops the credentials. */
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export type NamespaceMode = "POD" | "CONTAINER" | "NODE" | "TARGET";

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  labels?: Labels;
  annotations?: Labels;
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode };
      privileged?: boolean;
    };
  };
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: { key: string; value: string }[];
  labels?: Labels;
  annotations?: Labels;
  logPath?: string;
  mounts?: CriMount[];
  linux?: {
    securityContext?: LinuxContainerSecurityContext;
  };
}

/** A bind mount from the node into a container (CRI `Mount`). */
export interface CriMount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
}

/** CRI `LinuxContainerSecurityContext` (the fields of proto/runtime/v1 that kubelet fills from a pod). */
export interface LinuxContainerSecurityContext {
  namespaceOptions?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode };
  privileged?: boolean;
  runAsUser?: { value: number };
  runAsGroup?: { value: number };
  supplementalGroups?: number[];
  readonlyRootfs?: boolean;
  noNewPrivs?: boolean;
  /** Capability names without `CAP_`, or `ALL`. */
  capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[] };
  seccomp?: { profileType: "RuntimeDefault" | "Unconfined" | "Localhost"; localhostRef?: string };
}
