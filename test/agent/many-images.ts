/**
 * Many distinct images in one `ctr images import`: an OCI layout (as a tar,
 * built in memory) whose manifests share one small layer but each have a
 * config of their own (an env var with the index), so containerd sees as many
 * image ids, and whose index.json names each one with
 * `io.containerd.image.name`. One import instead of N pushes and pulls.
 */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import {
  CONTAINERD_IMAGE_NAME,
  type Descriptor,
  hostPlatform,
  OCI_INDEX,
  OCI_MANIFEST,
  type TarEntry,
  tar,
} from "../lab/index.js";
// Not re-exported by the lab's index; the tar module is the lab's own.
import { layerEntries } from "../lab/tar.js";

const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_REF_NAME = "org.opencontainers.image.ref.name";

export interface ManyImages {
  /** The tar file to `ctr images import`. */
  file: string;
  /** The full reference of each image, in index order. */
  names: string[];
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Writes a tar of an OCI layout holding `count` images named by `name(i)` to `file`. */
export async function writeManyImages(file: string, count: number, name: (i: number) => string): Promise<ManyImages> {
  const blobs = new Map<string, Buffer>();
  const put = (mediaType: string, bytes: Buffer): Descriptor => {
    const hex = sha256(bytes);
    blobs.set(hex, bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  };
  const putJson = (mediaType: string, value: unknown) => put(mediaType, Buffer.from(JSON.stringify(value)));

  const uncompressed = tar(layerEntries({ "/etc/imagedrift-scale": "one layer shared by every image\n" }));
  const layer = put(OCI_LAYER_GZIP, gzipSync(uncompressed));
  const platform = hostPlatform();
  const names: string[] = [];
  const manifests: Descriptor[] = [];
  for (let i = 0; i < count; i++) {
    const config = putJson(OCI_CONFIG, {
      architecture: platform.architecture,
      os: platform.os,
      config: { Env: ["PATH=/bin", `IMAGEDRIFT_SCALE_INDEX=${i}`] },
      rootfs: { type: "layers", diff_ids: [`sha256:${sha256(uncompressed)}`] },
    });
    const manifest = putJson(OCI_MANIFEST, { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] });
    const ref = name(i);
    names.push(ref);
    manifests.push({ ...manifest, platform, annotations: { [CONTAINERD_IMAGE_NAME]: ref, [OCI_REF_NAME]: ref } });
  }

  const entries: TarEntry[] = [
    { type: "file", path: "oci-layout", content: JSON.stringify({ imageLayoutVersion: "1.0.0" }) },
    {
      type: "file",
      path: "index.json",
      content: JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }),
    },
    { type: "dir", path: "blobs" },
    { type: "dir", path: "blobs/sha256" },
    ...[...blobs].map(([hex, content]): TarEntry => ({ type: "file", path: `blobs/sha256/${hex}`, content })),
  ];
  await writeFile(file, tar(entries));
  return { file, names };
}
