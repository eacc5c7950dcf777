/** Digests and image ids shortened for tables: the algorithm and the first 12 hex digits. */

export const SHORT_DIGEST_HEX = 12;

/** `sha256:0123456789abcdef…` → `sha256:0123456789ab`; `-` for null; other strings unchanged. */
export function shortDigest(digest: string | null | undefined): string {
  if (digest === null || digest === undefined || digest === "") return "-";
  const match = /^([A-Za-z][A-Za-z0-9+._-]*):([0-9a-fA-F]+)$/.exec(digest);
  if (match === null) return digest;
  return `${match[1]}:${(match[2] ?? "").slice(0, SHORT_DIGEST_HEX)}`;
}

/** The digest part of a repo digest (`host/repo@sha256:…`), or null. */
export function digestOfRepoDigest(repoDigest: string): string | null {
  const at = repoDigest.lastIndexOf("@");
  return at < 0 ? null : repoDigest.slice(at + 1);
}
