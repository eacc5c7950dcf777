/**
 * The way to each registry: its config, its rate limiter, its HTTP transport
 * and its authentication state, made on first use. `send` is the one place an
 * HTTP request leaves: rate limited, with a per-request timeout, redirects
 * followed (Authorization dropped when the origin changes) and every answer
 * reported to the metrics observer.
 */
import { BoundedMap, ImagedriftError, type ImageRef } from "@imagedrift/core";
import type { Clock } from "./clock.js";
import { fetchTransport, type HttpResponse, type HttpTransport, nodeTransport } from "./http-transport.js";
import { RateLimiter } from "./rate-limit.js";
import { RegistryAuth } from "./registry-auth.js";
import { emptyRegistriesConfig, hostConfig, type RegistriesConfig, type RegistryHostConfig } from "./registry-host.js";
import { type TagCredential, type TagCredentialSource, tagCredential } from "./tag-credentials.js";

/** `code` is the HTTP status, or `"error"` when no answer came (network, timeout). */
export type RequestObserver = (registry: string, code: number | "error") => void;

export interface SendRequest {
  method: "GET" | "HEAD" | "POST";
  url: string;
  headers: Readonly<Record<string, string>>;
  body?: string;
  maxBodyBytes: number;
}

export interface HostState {
  readonly config: RegistryHostConfig;
  readonly limiter: RateLimiter;
  readonly transport: HttpTransport;
  readonly auth: RegistryAuth;
  /** Until when (ms) the registry asked to be left alone with a long Retry-After. */
  blockedUntil: number;
  /** The registries file's entry this state was made from: another one (a reload) makes a new state. */
  readonly source: RegistryHostConfig | undefined;
}

export interface TransportPoolOptions {
  registries?: RegistriesConfig | undefined;
  clock: Clock;
  onRequest?: RequestObserver;
  timeoutMs?: number;
  transportFor?: (config: RegistryHostConfig) => HttpTransport;
  /** Credentials by image (the cluster's pull secrets), after the registries file's and before a cloud identity's. */
  tagCredentials?: TagCredentialSource | undefined;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Host states with credentials of their own (a pull secret's) kept at once; more start the set over. */
const CREDENTIAL_STATES_KEPT = 1_000;

/** fetch, except for a registry with its own CA over HTTPS: node:https with that CA. */
export function defaultTransportFor(config: RegistryHostConfig): HttpTransport {
  return config.ca !== undefined && config.baseUrl.startsWith("https:")
    ? nodeTransport({ ca: config.ca })
    : fetchTransport;
}

export class TransportPool {
  readonly #options: TransportPoolOptions;
  readonly #hosts = new Map<string, HostState>();
  readonly #withCredentials = new BoundedMap<string, HostState>(CREDENTIAL_STATES_KEPT);
  readonly transportFor: (config: RegistryHostConfig) => HttpTransport;

  constructor(options: TransportPoolOptions) {
    this.#options = options;
    this.transportFor = options.transportFor ?? defaultTransportFor;
  }

  /** The state for a registry host (normalised, as in image references). */
  host(name: string): HostState {
    const registries = this.#options.registries ?? emptyRegistriesConfig;
    const source = registries.hosts.get(name);
    const config = source ?? hostConfig(registries, name);
    const known = this.#hosts.get(name);
    // The registries file reloaded (another entry) or a cloud identity appeared: a new state, new tokens.
    if (known && known.source === source && known.config.credentials === config.credentials) return known;
    const limiter = new RateLimiter({
      requestsPerSecond: config.requestsPerSecond,
      maxConcurrent: config.maxConcurrentRequests,
      clock: this.#options.clock,
    });
    const auth = new RegistryAuth(config, this.#options.clock, (request) =>
      this.send(state, { ...request, maxBodyBytes: MAX_TOKEN_RESPONSE_BYTES }),
    );
    const state: HostState = { config, limiter, transport: this.transportFor(config), auth, blockedUntil: 0, source };
    this.#hosts.set(name, state);
    return state;
  }

  /**
   * The state for `ref`'s registry, with the credentials its image gets
   * (see tag-credentials.ts): one state per host and credential, so that
   * tokens of one credential never answer for another; they share the
   * host's rate limit, transport and Retry-After block.
   */
  async hostFor(ref: ImageRef): Promise<HostState> {
    const base = this.host(ref.host);
    const registries = this.#options.registries ?? emptyRegistriesConfig;
    const credential = await tagCredential(registries, ref, this.#options.tagCredentials);
    return credential === undefined ? base : this.#withCredential(base, credential);
  }

  #withCredential(base: HostState, credential: TagCredential): HostState {
    const key = `${base.config.host}\0${credential.key}`;
    const known = this.#withCredentials.get(key);
    if (known !== undefined && known.limiter === base.limiter) return known;
    const config = { ...base.config, credentials: credential.credentials, credentialSource: credential.source };
    const auth = new RegistryAuth(config, this.#options.clock, (request) =>
      this.send(state, { ...request, maxBodyBytes: MAX_TOKEN_RESPONSE_BYTES }),
    );
    const state: HostState = {
      config,
      limiter: base.limiter,
      transport: base.transport,
      auth,
      get blockedUntil() {
        return base.blockedUntil;
      },
      set blockedUntil(until: number) {
        base.blockedUntil = until;
      },
      source: base.source,
    };
    this.#withCredentials.set(key, state);
    return state;
  }

  async send(host: HostState, request: SendRequest, signal?: AbortSignal): Promise<HttpResponse> {
    let current = request;
    for (let hop = 0; ; hop++) {
      const res = await this.#once(host, current, signal);
      const location = res.headers.get("location");
      if (!REDIRECTS.has(res.status) || location === null || hop >= MAX_REDIRECTS) return res;
      const from = new URL(current.url);
      const to = new URL(location, from);
      if (to.protocol !== "https:" && to.protocol !== "http:") return res;
      const headers = { ...current.headers };
      if (to.origin !== from.origin) delete headers.authorization;
      current = { ...current, url: to.href, headers };
    }
  }

  #once(host: HostState, request: SendRequest, signal: AbortSignal | undefined): Promise<HttpResponse> {
    const observe = this.#options.onRequest ?? (() => {});
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return host.limiter.run(async () => {
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const res = await host.transport({ ...request, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
        observe(host.config.host, res.status);
        return res;
      } catch (error) {
        observe(host.config.host, "error");
        if (timeout.aborted && !signal?.aborted) {
          throw new ImagedriftError("deadline-exceeded", `no answer within ${timeoutMs} ms`, { cause: error });
        }
        throw error;
      }
    }, signal);
  }
}
