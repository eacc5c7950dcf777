/**
 * The image ids (config digests) a manifest digest gives, one per platform:
 * for an index, each platform manifest's config; for a single manifest, its
 * config. A node whose image is among them holds what a fresh pull of the
 * digest would give it on its platform. Attestation manifests (buildkit's
 * `unknown/unknown` entries) are no platform and are not read.
 */
import { ImagedriftError, isDigest } from "@imagedrift/core";

/** Reads one manifest of the repository by digest (parsed JSON); throws on failure. */
export type ManifestReader = (digest: string) => Promise<unknown>;

interface Descriptor {
  digest?: unknown;
  platform?: { os?: unknown };
  annotations?: Record<string, unknown>;
}

function configDigest(manifest: unknown, digest: string): string {
  const config = (manifest as { config?: { digest?: unknown } } | null)?.config?.digest;
  if (typeof config !== "string" || !isDigest(config)) {
    throw new ImagedriftError("failed-precondition", `manifest ${digest} has no config digest`);
  }
  return config;
}

function isAttestation(entry: Descriptor): boolean {
  return (
    entry.annotations?.["vnd.docker.reference.type"] === "attestation-manifest" || entry.platform?.os === "unknown"
  );
}

export async function platformImages(read: ManifestReader, digest: string): Promise<string[]> {
  const top = await read(digest);
  const entries = (top as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(entries)) return [configDigest(top, digest)];
  const children = (entries as Descriptor[])
    .filter((entry) => !isAttestation(entry))
    .map((entry) => entry.digest)
    .filter((child): child is string => typeof child === "string" && isDigest(child));
  const images = await Promise.all(children.map(async (child) => configDigest(await read(child), child)));
  return [...new Set(images)].sort();
}
