/**
 * The one error type of the project. Every boundary maps it once: gRPC status
 * to code in `@imagedrift/cri`, code to HTTP status in the collector, code to
 * exit status in each CLI's main.
 */
export type ErrorCode =
  | "invalid-argument"
  | "invalid-reference"
  | "invalid-config"
  | "not-found"
  | "already-exists"
  | "unauthenticated"
  | "permission-denied"
  | "failed-precondition"
  | "resource-exhausted"
  | "unavailable"
  | "deadline-exceeded"
  | "cancelled"
  | "unimplemented"
  | "internal";

/**
 * Codes of a registry's refusal (no such image, credentials refused): what
 * no retry mends until the image or the credentials change.
 */
export const REGISTRY_REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set([
  "not-found",
  "unauthenticated",
  "permission-denied",
]);

export class ImagedriftError extends Error {
  override readonly name = "ImagedriftError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Turns anything thrown into an ImagedriftError, keeping the original as `cause`. */
export function toImagedriftError(thrown: unknown, fallback: ErrorCode = "internal"): ImagedriftError {
  if (thrown instanceof ImagedriftError) return thrown;
  if (thrown instanceof Error) return new ImagedriftError(fallback, thrown.message, { cause: thrown });
  return new ImagedriftError(fallback, String(thrown));
}

export function isErrorCode(thrown: unknown, code: ErrorCode): boolean {
  return thrown instanceof ImagedriftError && thrown.code === code;
}

/** Runs `fn`, returning its value or the ImagedriftError it threw. */
export function tryCatch<T>(
  fn: () => T,
): { value: T; error?: undefined } | { value?: undefined; error: ImagedriftError } {
  try {
    return { value: fn() };
  } catch (thrown) {
    return { error: toImagedriftError(thrown) };
  }
}
