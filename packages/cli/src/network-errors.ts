/**
 * What went wrong when fetch could not get an answer at all. Node's fetch
 * (undici) throws `TypeError("fetch failed")` with the socket error as its
 * `cause`; an AbortSignal.timeout throws a DOMException named TimeoutError.
 */

const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host name not found (DNS)",
  EAI_AGAIN: "temporary DNS failure",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed by the server",
  UND_ERR_HEADERS_TIMEOUT: "no response headers in time",
  UND_ERR_BODY_TIMEOUT: "response body stalled",
};

function errorCode(value: unknown): string | undefined {
  const code = (value as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function errorMessage(value: unknown): string | undefined {
  return value instanceof Error && value.message !== "" ? value.message : undefined;
}

/** Whether the request ran out of time (our AbortSignal.timeout fired). */
export function isTimeout(thrown: unknown): boolean {
  if (!(thrown instanceof Error)) return false;
  return thrown.name === "TimeoutError" || (thrown.cause instanceof Error && thrown.cause.name === "TimeoutError");
}

/** A short reason with the system code: `connection refused (ECONNREFUSED)`, `TLS: certificate has expired`. */
export function describeNetworkFailure(thrown: unknown): string {
  const cause = thrown instanceof Error && thrown.cause !== undefined ? thrown.cause : thrown;
  const code = errorCode(cause) ?? errorCode(thrown);
  if (code !== undefined && REASONS[code] !== undefined) return `${REASONS[code]} (${code})`;
  if (code !== undefined && /CERT|TLS|SSL/.test(code)) return `TLS: ${errorMessage(cause) ?? code}`;
  const message = errorMessage(cause) ?? errorMessage(thrown) ?? String(thrown);
  return code === undefined ? message : `${message} (${code})`;
}
