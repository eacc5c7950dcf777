import { ImagedriftError } from "@imagedrift/core";
import type { FastifyInstance } from "fastify";

/** Requests per second a client may make on average, and how many it may make at once. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per client (the REST API keys it by IP address): each
 * request takes a token, tokens come back at `perSecond` up to `burst`.
 * At most `maxClients` buckets are kept, least recently used dropped first
 * (a dropped client starts again with a full bucket), so a flood from many
 * addresses cannot grow memory without bound.
 */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  readonly #maxClients: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: RateLimit, options: { now?: () => number; maxClients?: number } = {}) {
    this.#limit = limit;
    this.#now = options.now ?? Date.now;
    this.#maxClients = options.maxClients ?? 10_000;
  }

  get limit(): RateLimit {
    return this.#limit;
  }

  /** Takes a token for `client`: 0 when it may go ahead, else the milliseconds until it may. */
  take(client: string): number {
    const now = this.#now();
    const { perSecond, burst } = this.#limit;
    const bucket = this.#buckets.get(client) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) * perSecond) / 1000);
    bucket.at = now;
    // Re-inserted so that the map's order is least recently used first.
    this.#buckets.delete(client);
    this.#buckets.set(client, bucket);
    if (this.#buckets.size > this.#maxClients) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / perSecond);
  }

  /** How many clients have a bucket (for tests). */
  get clients(): number {
    return this.#buckets.size;
  }
}

/**
 * Answers a client over its limit with 429, `Retry-After` (whole seconds) and
 * the error body, before the token is even checked. Probes stay answerable
 * whatever another client on the same address does.
 */
export function limitRate(app: FastifyInstance, limiter: RateLimiter): void {
  const { perSecond, burst } = limiter.limit;
  app.addHook("onRequest", async (request, reply) => {
    if (request.url === "/healthz" || request.url === "/readyz") return;
    const waitMs = limiter.take(request.ip);
    if (waitMs === 0) return;
    const seconds = Math.ceil(waitMs / 1000);
    reply.header("retry-after", String(seconds));
    throw new ImagedriftError(
      "resource-exhausted",
      `too many requests from ${request.ip}: the limit is ${perSecond} per second (burst ${burst}); retry after ${seconds}s`,
    );
  });
}
