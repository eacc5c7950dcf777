/**
 * Which registries refuse the collector's credentials now: the last auth
 * failure per registry (401, 403, or a cloud identity's exchange), cleared by
 * the next answer that got through. The page warns from it, independently of
 * readiness: a registry refusing credentials leaves tags unresolved, it does
 * not make the collector unready.
 */
import type { ErrorCode, ImagedriftError, RegistryAuthReason } from "@imagedrift/core";
import { isProviderFailure } from "./cloud-credentials.js";

/** The `reason` of GET /api/v1/registries and of imagedrift_registry_auth_errors_total. */
export type AuthFailureReason = RegistryAuthReason;

export interface AuthProblem {
  registry: string;
  reason: AuthFailureReason;
  /** The last failure's message (host, status, provider step; never a credential). */
  error: string;
  /** When failures started (ISO), kept while they go on. */
  since: string;
}

/** The auth reason of a failure, or undefined when it is not about credentials. */
export function authFailureReason(error: { code: ErrorCode } | ImagedriftError): AuthFailureReason | undefined {
  if (isProviderFailure(error)) return "provider";
  if (error.code === "unauthenticated") return "unauthenticated";
  if (error.code === "permission-denied") return "denied";
  return undefined;
}

export class RegistryAuthHealth {
  readonly #problems = new Map<string, AuthProblem>();

  failed(problem: Omit<AuthProblem, "since">, at: string): void {
    const since = this.#problems.get(problem.registry)?.since ?? at;
    this.#problems.set(problem.registry, { ...problem, since });
  }

  succeeded(registry: string): void {
    this.#problems.delete(registry);
  }

  problems(): AuthProblem[] {
    return [...this.#problems.values()].sort((a, b) => a.registry.localeCompare(b.registry));
  }
}
