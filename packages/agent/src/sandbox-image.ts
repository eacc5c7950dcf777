/**
 * Which images are the runtime's pod sandbox (pause) images. No CRI field says
 * so, and runtimes tell it in different places (docs/runtimes.md has the
 * upstream sources):
 *
 * - verbose Status, `info.config` JSON, key `sandboxImage`: containerd 1.x,
 *   CRI-O since 1.28, cri-dockerd since 0.3.2. containerd 2.x moved the
 *   setting to the image service's `pinned_images` and no longer reports it;
 * - verbose PodSandboxStatus, `info.info` JSON, key `image`: the image each
 *   existing sandbox was made from (containerd, every version; CRI-O for a
 *   sandbox with an infra container);
 * - `pinned` in ListImages: containerd since 1.7.3, CRI-O since 1.28 and
 *   cri-dockerd since 0.3.10 pin the sandbox image (containerd and CRI-O pin
 *   any further images their config lists, too);
 * - the `--sandbox-image` flag, for a runtime that tells none of these.
 *
 * The flag, the status and the sandboxes are all taken: a sandbox made before
 * the config changed still runs on the old pause image. Pinned images are the
 * last resort, used only when nothing else names one.
 */
import { tryParseImageRef } from "@imagedrift/core";
import type { CriClient, CriImage, CriPodSandbox, Labels } from "@imagedrift/cri";

/** The string a JSON info value holds under `key`, or null. */
function jsonField(json: string | undefined, key: string): string | null {
  if (!json) return null;
  try {
    const parsed = JSON.parse(json) as Record<string, unknown> | null;
    const value = parsed?.[key];
    return typeof value === "string" && value !== "" ? value : null;
  } catch {
    return null;
  }
}

/** The sandbox image a runtime's verbose status names (`info.config` JSON, key `sandboxImage`), or null. */
export function sandboxImageFromStatus(info: Labels): string | null {
  return jsonField(info.config, "sandboxImage");
}

/** The image a sandbox was made from, from its verbose status (`info.info` JSON, key `image`), or null. */
export function sandboxImageFromSandboxInfo(info: Labels): string | null {
  return jsonField(info.info, "image");
}

const isPauseRepository = (tag: string) => tryParseImageRef(tag)?.repository.split("/").pop() === "pause";

/**
 * The image ids of the pinned images that are sandbox images: all of them when
 * the runtime pins one image (containerd's default), else those whose
 * repository is named `pause`, so that a runtime told to pin other images too
 * does not have those counted as sandbox images.
 */
export function pinnedSandboxImages(images: readonly CriImage[]): string[] {
  const pinned = images.filter((image) => image.pinned);
  if (pinned.length <= 1) return pinned.map((image) => image.id);
  const pause = pinned.filter((image) => image.repoTags.some(isPauseRepository));
  return (pause.length > 0 ? pause : pinned).map((image) => image.id);
}

/** Per client: the image each sandbox id was made from (null: its status names none). A sandbox never changes image. */
const imageBySandbox = new WeakMap<CriClient, Map<string, string | null>>();
const PARALLEL_SANDBOX_STATUS = 8;

/** The images the sandboxes were made from, asking the runtime only about sandboxes it has not been asked about. */
async function sandboxesImages(cri: CriClient, sandboxes: readonly CriPodSandbox[]): Promise<string[]> {
  const known = imageBySandbox.get(cri) ?? new Map<string, string | null>();
  imageBySandbox.set(cri, known);
  const live = new Set(sandboxes.map((s) => s.id));
  for (const id of known.keys()) if (!live.has(id)) known.delete(id);
  const unknown = sandboxes.filter((s) => !known.has(s.id)).map((s) => s.id);
  for (let start = 0; start < unknown.length; start += PARALLEL_SANDBOX_STATUS) {
    const batch = unknown.slice(start, start + PARALLEL_SANDBOX_STATUS);
    const answers = await Promise.allSettled(batch.map((id) => cri.podSandboxStatus(id, true)));
    answers.forEach((answer, i) => {
      // A sandbox removed since the listing, or a runtime that does not answer: not remembered, asked again next time.
      const id = batch[i];
      if (answer.status === "fulfilled" && id !== undefined)
        known.set(id, sandboxImageFromSandboxInfo(answer.value.info));
    });
  }
  return sandboxes.map((s) => known.get(s.id)).filter((image): image is string => typeof image === "string");
}

export interface SandboxImageInputs {
  /** `--sandbox-image`. */
  configured?: string | undefined;
  /** The verbose Status info. */
  statusInfo: Labels;
  images: readonly CriImage[];
  sandboxes: readonly CriPodSandbox[];
}

/**
 * The sandbox images, as references or image ids, from every source the
 * runtime offers; empty when none names one.
 */
export async function readSandboxImages(cri: CriClient, inputs: SandboxImageInputs): Promise<string[]> {
  const named = [
    inputs.configured ?? null,
    sandboxImageFromStatus(inputs.statusInfo),
    ...(await sandboxesImages(cri, inputs.sandboxes)),
  ].filter((image): image is string => image !== null && image !== "");
  const unique = [...new Set(named)];
  return unique.length > 0 ? unique : pinnedSandboxImages(inputs.images);
}
