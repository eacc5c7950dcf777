/** Small CRI reads and writes on a lab node for the harness's tests, and where a rendered agent looks for its runtime. */
import { CriClient } from "@imagedrift/cri";
import type { Workload } from "../deploy/manifests.js";
import type { ContainerdNode } from "../lab/containerd-node.js";

/** Pulls `ref` on the node, as something running there would. */
export async function pullOn(node: ContainerdNode, ref: string): Promise<void> {
  const cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
  try {
    await cri.pullImage(ref);
  } finally {
    cri.close();
  }
}

/** Every repo tag on the node, sorted (CRI lists images in no stable order). */
export async function imageRefsOn(node: ContainerdNode): Promise<string[]> {
  const cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
  try {
    return (await cri.listImages()).flatMap((i) => i.repoTags).sort();
  } finally {
    cri.close();
  }
}

/** The socket path the agent's `--cri-endpoint` names (the overlays set it with the hostPath). */
export function criSocketOf(agent: Workload): string {
  const arg = agent.spec.template.spec.containers[0]?.args?.find((a) => a.startsWith("--cri-endpoint=unix://"));
  if (!arg) throw new Error("the agent DaemonSet has no --cri-endpoint=unix://…");
  return arg.slice("--cri-endpoint=unix://".length);
}
