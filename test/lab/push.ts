/**
 * Getting built images to where tests need them: pushed to the lab registry
 * with skopeo (digests preserved, so the registry digest equals the built
 * one), or imported straight into one node with `ctr images import` (an image
 * that was never pulled, like `k3s ctr images import`).
 */
import { randomUUID } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ImagedriftError } from "@imagedrift/core";
import { type CtrTarget, runCtr } from "./ctr.js";
import { exec } from "./exec.js";
import type { Credentials } from "./htpasswd.js";
import type { OciImage } from "./oci-image.js";
import { directoryEntries, type TarEntry, tar } from "./tar.js";

export const SKOPEO_BINARY = "/usr/bin/skopeo";
/** The annotation `ctr images import` names an image by. */
export const CONTAINERD_IMAGE_NAME = "io.containerd.image.name";
const OCI_REF_NAME = "org.opencontainers.image.ref.name";

export interface PushOptions {
  image: OciImage;
  /** `127.0.0.1:PORT/repo:tag`. */
  destination: string;
  credentials?: Credentials | undefined;
}

/** `skopeo copy --all --preserve-digests oci:DIR:REF docker://DEST` over plain HTTP. */
export async function pushImage(options: PushOptions): Promise<void> {
  const creds = options.credentials
    ? ["--dest-creds", `${options.credentials.username}:${options.credentials.password}`]
    : [];
  await exec(SKOPEO_BINARY, [
    // The lab's images are built locally; no signature policy applies to them.
    "--insecure-policy",
    "copy",
    "--quiet",
    "--all",
    "--preserve-digests",
    "--dest-tls-verify=false",
    ...creds,
    `oci:${options.image.dir}:${options.image.ref}`,
    `docker://${options.destination}`,
  ]);
}

export interface ImportOptions {
  target: CtrTarget;
  image: OciImage;
  /** Full reference the node lists the image under, `127.0.0.1:PORT/repo:tag`. */
  name: string;
}

/**
 * Tars the layout with `io.containerd.image.name` = `name` on its entry and runs
 * `ctr images import` (unpacked for the native snapshotter). CRI then lists the
 * image with its repo tag and no repo digest.
 */
export async function importImage(options: ImportOptions): Promise<void> {
  const { image } = options;
  const layout = JSON.parse(await readFile(join(image.dir, "index.json"), "utf8")) as {
    manifests?: { annotations?: Record<string, string> }[];
  };
  const entry = layout.manifests?.find((m) => m.annotations?.[OCI_REF_NAME] === image.ref);
  if (!entry) throw new ImagedriftError("not-found", `no ref "${image.ref}" in ${image.dir}/index.json`);
  entry.annotations = { ...entry.annotations, [CONTAINERD_IMAGE_NAME]: options.name };

  const entries: TarEntry[] = (await directoryEntries(image.dir)).map((e) =>
    e.path === "index.json" ? { type: "file", path: e.path, content: JSON.stringify(layout) } : e,
  );
  // A tar of its own per import: nodes importing one image side by side must not read a tar another is rewriting.
  const file = `${image.dir}-${randomUUID()}.tar`;
  try {
    await writeFile(file, tar(entries));
    await runCtr(options.target, ["images", "import", file]);
  } finally {
    await rm(file, { force: true });
  }
}
