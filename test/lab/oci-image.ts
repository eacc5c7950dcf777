/**
 * OCI image layouts built on disk without a network: one gzip'd tar layer, a
 * config, a manifest per platform, an image index when several platforms are
 * asked for, `index.json` and `oci-layout`. skopeo pushes them; `ctr images
 * import` takes them as a tar.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type LayerFile, layerEntries, tar } from "./tar.js";

export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

/** The busybox-static binary: content for images whose containers really start. */
export const BUSYBOX = "/bin/busybox";
/** Runs until stopped and exits 0 on SIGTERM (a plain `sleep` as PID 1 ignores SIGTERM). */
export const RUNNABLE_ENTRYPOINT = ["/bin/sh", "-c", "trap 'exit 0' TERM; /bin/busybox sleep 86400 & wait"];

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface BuildImageOptions {
  /** Folder to create the layout in (a new folder under it); default the OS temp dir. */
  parentDir?: string;
  /** Layer content: path → content (or content and mode). */
  files?: Readonly<Record<string, LayerFile>>;
  /** Adds /bin/busybox, /bin/sh → busybox, and a default entrypoint that keeps the container running. */
  runnable?: boolean;
  entrypoint?: readonly string[];
  cmd?: readonly string[];
  /** Given: an image index over one manifest per platform. Absent: one manifest for this machine's platform. */
  platforms?: readonly Platform[];
  /** `org.opencontainers.image.ref.name` in index.json (what `oci:DIR:REF` names). Default "latest". */
  ref?: string;
  /** Extra annotations on the index.json entry, e.g. `io.containerd.image.name` for `ctr images import`. */
  annotations?: Readonly<Record<string, string>>;
  /** Written to /imagedrift-salt: a different salt gives different bytes, so a new digest for the same tag. */
  salt?: string;
  /**
   * A label in the config of one platform (by architecture): changes that
   * platform's manifest (and the index) alone, as a rebuild of one platform does.
   */
  platformSalts?: Readonly<Record<string, string>>;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface OciImage {
  /** The layout folder. */
  dir: string;
  /** The ref name inside the layout (`oci:DIR:REF`). */
  ref: string;
  /** What the ref points at: the index digest for a multi-platform image, else the manifest digest. */
  digest: string;
  mediaType: string;
  /** The per-platform manifests. */
  manifests: Descriptor[];
}

/**
 * Builds a layout. Builds are reproducible: the same options give the same
 * bytes, so the same digests and the same image id on a node (two tags built
 * alike are one image to containerd); vary `salt` or `files` to tell them apart.
 */
export async function buildOciImage(options: BuildImageOptions = {}): Promise<OciImage> {
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), "oci-"));
  const blobs = new BlobWriter(dir);
  const uncompressed = layerTar(options);
  const diffId = `sha256:${sha256(uncompressed)}`;
  const layer = await blobs.put(OCI_LAYER_GZIP, gzipSync(uncompressed));
  const entrypoint = options.entrypoint ?? (options.runnable ? RUNNABLE_ENTRYPOINT : undefined);

  const manifests: Descriptor[] = [];
  for (const platform of options.platforms ?? [hostPlatform()]) {
    const platformSalt = options.platformSalts?.[platform.architecture];
    const config = {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: {
        Env: ["PATH=/bin"],
        ...(entrypoint ? { Entrypoint: [...entrypoint] } : {}),
        ...(options.cmd ? { Cmd: [...options.cmd] } : {}),
        ...(platformSalt !== undefined ? { Labels: { "imagedrift.salt": platformSalt } } : {}),
      },
      rootfs: { type: "layers", diff_ids: [diffId] },
    };
    const configDesc = await blobs.putJson(OCI_CONFIG, config);
    const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDesc, layers: [layer] };
    manifests.push({ ...(await blobs.putJson(OCI_MANIFEST, manifest)), platform });
  }

  const top: Descriptor = options.platforms
    ? await blobs.putJson(OCI_INDEX, { schemaVersion: 2, mediaType: OCI_INDEX, manifests })
    : { mediaType: OCI_MANIFEST, digest: manifests[0]?.digest ?? "", size: manifests[0]?.size ?? 0 };
  const ref = options.ref ?? "latest";
  const entry: Descriptor = {
    ...top,
    annotations: { "org.opencontainers.image.ref.name": ref, ...options.annotations },
  };
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry] }),
  );
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return { dir, ref, digest: top.digest, mediaType: top.mediaType, manifests };
}

/** linux plus Node's arch in OCI terms. */
export function hostPlatform(): Platform {
  const architecture = ({ x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" } as const)[
    process.arch as "x64" | "arm64" | "arm" | "ppc64" | "s390x"
  ];
  return { os: "linux", architecture: architecture ?? process.arch };
}

function layerTar(options: BuildImageOptions): Buffer {
  const files: Record<string, LayerFile> = { ...options.files };
  const symlinks: Record<string, string> = {};
  if (options.runnable) {
    files["/bin/busybox"] = { content: busybox(), mode: 0o755 };
    symlinks["/bin/sh"] = "busybox";
  }
  if (options.salt !== undefined) files["/imagedrift-salt"] = options.salt;
  return tar(layerEntries(files, symlinks));
}

let busyboxBytes: Buffer | undefined;
function busybox(): Buffer {
  busyboxBytes ??= readFileSync(BUSYBOX);
  return busyboxBytes;
}

class BlobWriter {
  readonly #dir: string;
  #made = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async put(mediaType: string, bytes: Buffer): Promise<Descriptor> {
    if (!this.#made) {
      await mkdir(join(this.#dir, "blobs", "sha256"), { recursive: true });
      this.#made = true;
    }
    const hex = sha256(bytes);
    await writeFile(join(this.#dir, "blobs", "sha256", hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  }

  async putJson(mediaType: string, value: unknown): Promise<Descriptor> {
    return this.put(mediaType, Buffer.from(JSON.stringify(value)));
  }
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
