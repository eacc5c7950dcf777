import type { NodeInventory } from "@imagedrift/core";
import type { CriClient } from "@imagedrift/cri";
import { assembleInventory, type RuntimeSnapshot } from "./inventory.js";
import { readSandboxImages } from "./sandbox-image.js";

export { sandboxImageFromStatus } from "./sandbox-image.js";

export interface ReadRuntimeOptions {
  /** `--sandbox-image`: the pause image, for a runtime that does not name it. */
  sandboxImage?: string | undefined;
}

/** Reads everything the inventory needs from the runtime, in parallel. */
export async function readRuntime(cri: CriClient, options: ReadRuntimeOptions = {}): Promise<RuntimeSnapshot> {
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
    sandboxImages: await readSandboxImages(cri, {
      configured: options.sandboxImage,
      statusInfo: status.info,
      images,
      sandboxes,
    }),
  };
}

export interface ScanOptions extends ReadRuntimeOptions {
  now?: () => Date;
}

export async function scanNode(cri: CriClient, node: string, options: ScanOptions = {}): Promise<NodeInventory> {
  const snapshot = await readRuntime(cri, options);
  return assembleInventory(node, snapshot, (options.now ?? (() => new Date()))());
}
