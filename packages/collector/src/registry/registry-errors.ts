/**
 * Errors of registry exchanges, worded for operators: they name the registry
 * host (and the caller prefixes the reference), the status and distribution's
 * error codes, and a hint where one helps. Never a header, token or password.
 */
import { ImagedriftError } from "@imagedrift/core";
import { isProviderFailure } from "./cloud-credentials.js";
import type { HttpResponse } from "./http-transport.js";
import type { RegistryHostConfig } from "./registry-host.js";
import { isTransientError } from "./retry-policy.js";

/** The `code`s of distribution's JSON error body `{"errors": [{"code": …}]}`. */
export function errorCodes(res: HttpResponse): string[] {
  try {
    const body = JSON.parse(res.body.toString("utf8")) as { errors?: { code?: unknown }[] };
    return (body.errors ?? []).map((e) => e.code).filter((c): c is string => typeof c === "string");
  } catch {
    return [];
  }
}

/** Why a registry or its token server refused: whose credentials, named by their source (never their value). */
export function credentialsRefused(config: RegistryHostConfig): string {
  if (config.credentials?.kind === "cloud") {
    return `the credentials of the collector's ${config.credentials.provider} identity were not accepted`;
  }
  if (config.credentialSource !== undefined) return `the credentials of ${config.credentialSource} were not accepted`;
  return config.credentials
    ? "the configured credentials were not accepted"
    : "it needs credentials and none are configured";
}

/** The error for a final answer that is neither a digest nor not-found. */
export function statusError(config: RegistryHostConfig, res: HttpResponse, codes: readonly string[]): ImagedriftError {
  const detail = codes.length > 0 ? ` (${codes.join(", ")})` : "";
  const answered = `registry ${config.host} answered ${res.status}${detail}`;
  if (res.status === 401) return new ImagedriftError("unauthenticated", `${answered}: ${credentialsRefused(config)}`);
  if (res.status === 403) return new ImagedriftError("permission-denied", `${answered}: access denied`);
  if (res.status === 429) return new ImagedriftError("resource-exhausted", `${answered}: rate limited`);
  if (res.status === 400 && config.baseUrl.startsWith("http:")) {
    // What an HTTPS-only server answers to plain HTTP (loopback registries get plain HTTP by default).
    return new ImagedriftError(
      "failed-precondition",
      `${answered} to plain HTTP: if it serves HTTPS, set insecure: false (and ca) for it`,
    );
  }
  return new ImagedriftError(res.status >= 500 ? "unavailable" : "failed-precondition", answered);
}

/**
 * What a failure is about. An answer (any status: 5xx, 404, 401) is about the
 * repository asked for; one broken repository says nothing of the others on
 * its host. No answer at all (refused, DNS, TLS, reset) or a rate limit is
 * about the host. A timeout is either: a slow repository, or a host that is
 * down once it happens on several repositories.
 */
export type FailureScope = "repository" | "host" | "timeout";

/** Errors built by networkError: no HTTP answer came. */
const unanswered = new WeakSet<ImagedriftError>();

/** The scope of a failure of one tag's resolution (see FailureScope). */
export function failureScope(error: ImagedriftError): FailureScope {
  // The cloud identity failed: every tag of the registry would fail the same way.
  if (isProviderFailure(error)) return "host";
  if (error.code === "resource-exhausted") return "host";
  if (!unanswered.has(error)) return "repository";
  return error.code === "deadline-exceeded" ? "timeout" : "host";
}

/** The error for an exchange that got no usable answer after `attempts` tries. */
export function networkError(config: RegistryHostConfig, failure: unknown, attempts: number): ImagedriftError {
  if (failure instanceof ImagedriftError && !isTransientError(failure)) return failure;
  const tries = attempts > 1 ? ` (${attempts} attempts)` : "";
  const code = failure instanceof ImagedriftError ? failure.code : "unavailable";
  const error = new ImagedriftError(
    code,
    `cannot reach registry ${config.host} at ${config.baseUrl}: ${describeFailure(failure)}${tries}`,
    {
      cause: failure,
    },
  );
  unanswered.add(error);
  return error;
}

/** A network failure in a few words: the system error, with a hint for TLS trouble. */
export function describeFailure(failure: unknown): string {
  if (failure instanceof ImagedriftError) return failure.message;
  const cause = failure instanceof Error && failure.cause instanceof Error ? failure.cause : failure;
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  const text = typeof code === "string" && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(String(code))
    ? `${text} (is the registry's ca configured?)`
    : text;
}
