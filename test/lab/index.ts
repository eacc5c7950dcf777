/**
 * The lab: real containerd nodes, runc and an OCI registry on loopback, for
 * tests that claim containerd or registry behaviour. See README.md here.
 */

export { type ContainerdConfigOptions, DISABLED_PLUGINS, renderContainerdConfig } from "./containerd-config.js";
export { ContainerdNode, type NodeOptions, startNode } from "./containerd-node.js";
export { type CtrTarget, K8S_NAMESPACE, runCtr, SNAPSHOTTER } from "./ctr.js";
export { bcryptHash, type Credentials, writeHtpasswd } from "./htpasswd.js";
export { type Lab, type LabOptions, type NodeRef, PAUSE_REPO_TAG, startLab } from "./lab.js";
export {
  type BuildImageOptions,
  buildOciImage,
  type Descriptor,
  hostPlatform,
  OCI_INDEX,
  OCI_MANIFEST,
  type OciImage,
  type Platform,
  RUNNABLE_ENTRYPOINT,
} from "./oci-image.js";
export {
  type PodContainerSpec,
  type PodContainerState,
  type PodNode,
  type PodSpec,
  type PullPolicy,
  type RunPodResult,
  removePod,
  runPod,
} from "./pods.js";
export { freePort, LOOPBACK } from "./ports.js";
export { type Daemon, type DaemonOptions, isAlive, startDaemon } from "./process.js";
export { CONTAINERD_IMAGE_NAME, type ImportOptions, importImage, type PushOptions, pushImage } from "./push.js";
export { mountsUnder, processesUnder, reapDirSync } from "./reap.js";
export {
  basicAuth,
  type HtpasswdAuth,
  type Registry,
  type RegistryAuth,
  type RegistryOptions,
  startRegistry,
  type TokenAuth,
} from "./registry.js";
export { MANIFEST_ACCEPT } from "./registry-api.js";
export { type LayerFile, type TarEntry, tar } from "./tar.js";
export { AbortWait, type WaitOptions, waitFor } from "./wait.js";
