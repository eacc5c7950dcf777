/** `ctr` against one node's containerd: the lab's tool for what CRI does not do (import) or for checks. */
import { type ExecResult, exec } from "./exec.js";

export const CTR_BINARY = "/usr/bin/ctr";
/** The namespace the CRI plugin (and so kubelet) uses. */
export const K8S_NAMESPACE = "k8s.io";
/** The lab's nodes run the native snapshotter only (overlayfs is not available everywhere). */
export const SNAPSHOTTER = "native";

export interface CtrTarget {
  /** Path of containerd's gRPC socket. */
  socket: string;
  /** Default "k8s.io". */
  namespace?: string;
}

/** Runs `ctr -a SOCKET -n NAMESPACE args…` and returns its output; throws with stderr on failure. */
export function runCtr(target: CtrTarget, args: readonly string[], timeoutMs = 120_000): Promise<ExecResult> {
  return exec(CTR_BINARY, ["-a", target.socket, "-n", target.namespace ?? K8S_NAMESPACE, ...args], {
    timeoutMs,
    // ctr's --snapshotter flags (pull, import, run) read this when not given.
    env: { ...process.env, CONTAINERD_SNAPSHOTTER: SNAPSHOTTER },
  });
}
