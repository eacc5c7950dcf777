/**
 * Whether a failed PullImage will fail the same way however often it is
 * tried again. Runtimes report most registry refusals as gRPC UNKNOWN with
 * the registry's answer in the message (containerd: `failed to resolve
 * reference "…": …: not found`, `… 401 Unauthorized`; CRI-O: `manifest
 * unknown`, `unauthorized: authentication required`), so the status alone
 * cannot tell: the words can.
 */
import { type ErrorCode, type ImagedriftError, REGISTRY_REFUSAL_CODES } from "@imagedrift/core";

const FINAL_WORDS: readonly [RegExp, ErrorCode][] = [
  [/failed to resolve reference.*: not found|manifest unknown|name unknown|repository name not known/i, "not-found"],
  [
    /401 Unauthorized|unauthorized: authentication required|no basic auth credentials|pull access denied/i,
    "unauthenticated",
  ],
  [/403 Forbidden|denied: requested access to the resource is denied/i, "permission-denied"],
];

/**
 * The code of a failed pull: `not-found`, `unauthenticated` or
 * `permission-denied` when the registry refused (retrying will not help),
 * else the error's own code.
 */
export function pullFailureCode(error: ImagedriftError): ErrorCode {
  if (REGISTRY_REFUSAL_CODES.has(error.code)) return error.code;
  for (const [words, code] of FINAL_WORDS) if (words.test(error.message)) return code;
  return error.code;
}
