/**
 * The cache in front of a cloud identity's exchange: one exchange per
 * credential lifetime for the whole registry (not per tag or repository),
 * renewed a little before expiry (ECR tokens last 12 h, Google access tokens
 * about 1 h, ACR refresh tokens about 3 h), one exchange at a time. A failed
 * exchange becomes an `unauthenticated` error naming the provider and the
 * step; it is not cached, so the next resolve tries again.
 */
import { ImagedriftError } from "@imagedrift/core";
import type { Clock } from "./clock.js";
import type { CloudCredentials, CloudProvider, StaticCredentials } from "./secret.js";

export interface ExpiringCredentials {
  credentials: StaticCredentials;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export type CredentialExchange = () => Promise<ExpiringCredentials>;

/** Renewed this long before expiry at most; a fifth of the lifetime for short ones. */
const MAX_RENEW_MARGIN_MS = 5 * 60_000;

/** Errors of a cloud exchange (for the auth-errors metric's `reason`). */
const providerFailures = new WeakSet<Error>();

export function isProviderFailure(error: unknown): boolean {
  return error instanceof Error && providerFailures.has(error);
}

/** An `unauthenticated` error of `provider`'s exchange; `step` says which request failed, never a secret. */
export function providerError(provider: CloudProvider, step: string, cause?: unknown): ImagedriftError {
  const why = cause === undefined ? "" : `: ${cause instanceof Error ? cause.message : String(cause)}`;
  const error = new ImagedriftError("unauthenticated", `${provider} credentials: ${step}${why}`, { cause });
  providerFailures.add(error);
  return error;
}

export class CachedCloudCredentials implements CloudCredentials {
  readonly kind = "cloud";
  readonly provider: CloudProvider;
  readonly #exchange: CredentialExchange;
  readonly #clock: Clock;
  #cached: { credentials: StaticCredentials; renewAt: number } | undefined;
  #running: Promise<StaticCredentials> | undefined;

  constructor(provider: CloudProvider, exchange: CredentialExchange, clock: Clock) {
    this.provider = provider;
    this.#exchange = exchange;
    this.#clock = clock;
  }

  current(): Promise<StaticCredentials> {
    const cached = this.#cached;
    if (cached !== undefined && cached.renewAt > this.#clock.now()) return Promise.resolve(cached.credentials);
    this.#running ??= this.#renew().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  invalidate(): void {
    this.#cached = undefined;
  }

  async #renew(): Promise<StaticCredentials> {
    let fresh: ExpiringCredentials;
    try {
      fresh = await this.#exchange();
    } catch (error) {
      throw isProviderFailure(error) ? error : providerError(this.provider, "exchange failed", error);
    }
    const now = this.#clock.now();
    const margin = Math.min(MAX_RENEW_MARGIN_MS, (fresh.expiresAt - now) / 5);
    this.#cached = { credentials: fresh.credentials, renewAt: fresh.expiresAt - margin };
    return fresh.credentials;
  }
}
