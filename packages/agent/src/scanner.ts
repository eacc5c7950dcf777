import type { NodeInventory } from "@imagedrift/core";
import type { CriClient } from "@imagedrift/cri";
import { assembleInventory, type RuntimeSnapshot } from "./inventory.js";

/** The sandbox (pause) image from containerd's verbose status (`info.config` JSON, key `sandboxImage`). */
export function sandboxImageFromStatus(info: Record<string, string>): string | null {
  const config = info.config;
  if (!config) return null;
  try {
    const parsed = JSON.parse(config) as { sandboxImage?: unknown };
    return typeof parsed.sandboxImage === "string" && parsed.sandboxImage !== "" ? parsed.sandboxImage : null;
  } catch {
    return null;
  }
}

/** Reads everything the inventory needs from the runtime, in parallel. */
export async function readRuntime(cri: CriClient): Promise<RuntimeSnapshot> {
  const [version, status, images, containers, sandboxes, imageFilesystems] = await Promise.all([
    cri.version(),
    cri.status(true),
    cri.listImages(),
    cri.listContainers(),
    cri.listPodSandboxes(),
    cri.imageFsInfo(),
  ]);
  return {
    runtime: { name: version.runtimeName, version: version.runtimeVersion, apiVersion: version.runtimeApiVersion },
    images,
    containers,
    sandboxes,
    imageFilesystems,
    sandboxImage: sandboxImageFromStatus(status.info),
  };
}

export async function scanNode(
  cri: CriClient,
  node: string,
  now: () => Date = () => new Date(),
): Promise<NodeInventory> {
  const snapshot = await readRuntime(cri);
  return assembleInventory(node, snapshot, now());
}
