/** Digest helpers for tables; shortDigest itself is core's. */

/** The digest part of a repo digest (`host/repo@sha256:…`), or null. */
export function digestOfRepoDigest(repoDigest: string): string | null {
  const at = repoDigest.lastIndexOf("@");
  return at < 0 ? null : repoDigest.slice(at + 1);
}
