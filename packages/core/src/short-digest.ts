/** Digests and image ids shortened for people: one format for tables, messages, findings and the page. */

/** Hex digits kept: as many as `docker images` shows of an image id. */
export const SHORT_DIGEST_HEX = 12;

const DIGEST = /^([A-Za-z][A-Za-z0-9+._-]*):([0-9a-fA-F]+)$/;

/**
 * `sha256:0123456789abcdef…` → `sha256:0123456789ab`. A string that is no
 * digest comes back as it is; null, undefined or "" read `-` (a caller with
 * better words for "no digest" says them before calling).
 */
export function shortDigest(digest: string | null | undefined): string {
  if (digest === null || digest === undefined || digest === "") return "-";
  const match = DIGEST.exec(digest);
  if (match === null) return digest;
  return `${match[1]}:${(match[2] ?? "").slice(0, SHORT_DIGEST_HEX)}`;
}

/** `sha256:` and 64 lowercase hex digits: an image id, or a digest as containerd records it. */
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Whether `s` is `sha256:` and 64 lowercase hex digits (isDigest also accepts sha384 and sha512). */
export function isSha256Digest(s: string): boolean {
  return SHA256_DIGEST.test(s);
}
