/**
 * `verify --digest` as people copy it from a table: a whole digest, or a
 * prefix of at least 12 hex digits (what every table prints), with or
 * without `sha256:`. A prefix is completed from the digests the collector
 * knows for the tag, and refused when it names none or several of them.
 */
import { ImagedriftError, isDigest, SHORT_DIGEST_HEX } from "@imagedrift/core";

export interface DigestPrefix {
  /** `sha256:` and the hex digits typed, lowercase. */
  prefix: string;
  /** The whole digest when all 64 digits were given; null for a prefix. */
  full: string | null;
}

const HEX = /^[0-9a-f]+$/;

export function parseDigestFlag(value: string): DigestPrefix {
  const typed = value.trim().toLowerCase();
  const hex = typed.startsWith("sha256:") ? typed.slice("sha256:".length) : typed;
  const prefix = `sha256:${hex}`;
  if (HEX.test(hex) && hex.length === 64 && isDigest(prefix)) return { prefix, full: prefix };
  if (!HEX.test(hex) || hex.length < SHORT_DIGEST_HEX || hex.length > 64) {
    throw new ImagedriftError(
      "invalid-argument",
      `--digest ${JSON.stringify(value)} is not a digest: want sha256: and 64 hex digits, or at least the first ${SHORT_DIGEST_HEX} (as tables print them)`,
    );
  }
  return { prefix, full: null };
}

/** The one known digest starting with the prefix; throws naming the candidates otherwise. */
export function resolveDigestPrefix(
  wanted: DigestPrefix,
  known: readonly (string | null | undefined)[],
  reference: string,
): string {
  if (wanted.full !== null) return wanted.full;
  const matches = [...new Set(known.filter((d): d is string => typeof d === "string" && d.startsWith(wanted.prefix)))];
  const [only] = matches;
  if (only !== undefined && matches.length === 1) return only;
  if (matches.length === 0) {
    throw new ImagedriftError(
      "invalid-argument",
      `--digest ${wanted.prefix} is no digest the collector knows for ${reference} (the registry's, a node's or a running container's): give all 64 hex digits to require another`,
    );
  }
  throw new ImagedriftError(
    "invalid-argument",
    `--digest ${wanted.prefix} is ambiguous for ${reference}: it starts ${matches.length} digests the collector knows, give more digits:\n${matches
      .sort()
      .map((d) => `  ${d}`)
      .join("\n")}`,
  );
}
