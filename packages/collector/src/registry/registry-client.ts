/**
 * What a registry says a tag points at (docs/ARCHITECTURE.md#registry-politeness): `HEAD /v2/<repo>/manifests/<tag>`
 * accepting exactly the OCI index, OCI manifest, Docker manifest list and
 * Docker v2 manifest types, answered by `Docker-Content-Digest` (the index
 * digest for a multi-arch image, as containerd records it). When a registry
 * leaves that header out, or refuses HEAD (405, 501), the manifest is fetched
 * with GET and hashed.
 *
 * Every failure becomes an `error` result (the tag stays unresolved, never
 * stale or missing); `not-found` needs the registry to say so to GET: a 404,
 * or a NAME_UNKNOWN / MANIFEST_UNKNOWN error code behind a 401/403. A 404 to
 * HEAD alone is not enough (caches and proxies answer HEAD wrongly), since
 * missing-in-registry is a critical verdict.
 */
import { createHash } from "node:crypto";
import {
  type ErrorCode,
  ImagedriftError,
  type ImageRef,
  isDigest,
  type Logger,
  silentLogger,
  type TagResolution,
  toImagedriftError,
} from "@imagedrift/core";
import { type AuthFailureReason, authFailureReason } from "./auth-health.js";
import { type Clock, systemClock } from "./clock.js";
import type { HttpResponse } from "./http-transport.js";
import {
  describeFailure,
  errorCodes,
  type FailureScope,
  failureScope,
  networkError,
  statusError,
} from "./registry-errors.js";
import type { RegistriesConfig, RegistryHostConfig } from "./registry-host.js";
import type { HostState, RequestObserver, SendRequest, TransportPoolOptions } from "./registry-transport.js";
import { TransportPool } from "./registry-transport.js";
import {
  DEFAULT_RETRY_POLICY,
  isTransientError,
  isTransientStatus,
  type RetryPolicy,
  retryAfterMs,
  retryBackoffMs,
} from "./retry-policy.js";
import { parseWwwAuthenticate } from "./www-authenticate.js";

export const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
] as const;
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(", ");

/** distribution refuses manifests over 4 MiB. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const NOT_FOUND_CODES = new Set(["NAME_UNKNOWN", "MANIFEST_UNKNOWN"]);
const GET_AFTER_HEAD: ReadonlySet<number> = new Set([200, 401, 403, 404, 405, 501]);

/**
 * A resolution as the registry gave it; an error carries its code and scope
 * (the resolver stops asking a registry that is down, not one whose single
 * repository fails).
 */
export type RegistryResult =
  | Exclude<TagResolution, { state: "pending" | "error" }>
  | { state: "error"; error: string; code: ErrorCode; scope: FailureScope; resolvedAt: string };

export interface RegistryClientOptions extends Pick<TransportPoolOptions, "tagCredentials"> {
  /** The `--registries-config`; absent: every registry gets the defaults. */
  registries?: RegistriesConfig | undefined;
  clock?: Clock;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
  log?: Logger;
  /** Called once per HTTP answer (its status) or failed exchange (`"error"`), token requests included. */
  onRequest?: RequestObserver;
  /** Called after each tag's resolution with its registry's auth outcome: a failure's reason, or null when it got through. */
  onAuth?: (registry: string, failure: { reason: AuthFailureReason; error: string } | null) => void;
  /** Per HTTP request; default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Chooses the HTTP transport for a registry; default fetch, or node:https when the registry has a `ca`. */
  transportFor?: TransportPool["transportFor"];
}

/** One tag being resolved. */
interface Target {
  host: HostState;
  /** `host/repository:tag`, for messages. */
  name: string;
  url: string;
  scope: string;
}

export class RegistryClient {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #retry: RetryPolicy;
  readonly #pool: TransportPool;
  readonly #onAuth: RegistryClientOptions["onAuth"];

  constructor(options: RegistryClientOptions) {
    this.#onAuth = options.onAuth;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? silentLogger;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#pool = new TransportPool({ ...options, clock: this.#clock });
  }

  /** What the registry of `ref` says its tag points at, now. Never throws. */
  async resolveTag(ref: ImageRef, signal?: AbortSignal): Promise<RegistryResult> {
    const name = `${ref.host}/${ref.repository}:${ref.tag ?? ""}`;
    try {
      if (ref.tag === null)
        throw new ImagedriftError("invalid-argument", "a reference by digest has no tag to resolve");
      const host = await this.#pool.hostFor(ref);
      const target: Target = {
        host,
        name,
        url: manifestUrl(host.config, ref),
        scope: `repository:${ref.repository}:pull`,
      };
      const digest = await this.#resolve(target, signal);
      const resolvedAt = new Date(this.#clock.now()).toISOString();
      this.#onAuth?.(ref.host, null);
      return digest === null ? { state: "not-found", resolvedAt } : { state: "found", digest, resolvedAt };
    } catch (thrown) {
      const error = toImagedriftError(thrown, "unavailable");
      const resolvedAt = new Date(this.#clock.now()).toISOString();
      const reason = authFailureReason(error);
      if (reason !== undefined) this.#onAuth?.(ref.host, { reason, error: error.message });
      return {
        state: "error",
        error: `${name}: ${error.message}`,
        code: error.code,
        scope: failureScope(error),
        resolvedAt,
      };
    }
  }

  /**
   * Whether `ref`'s repository still has the manifest `digest` (HEAD by
   * digest; a 404 is confirmed with GET, as for tags). Throws an
   * ImagedriftError when the registry gives no clear answer.
   */
  async hasManifest(ref: ImageRef, digest: string, signal?: AbortSignal): Promise<boolean> {
    if (!isDigest(digest)) throw new ImagedriftError("invalid-argument", `not a digest: ${JSON.stringify(digest)}`);
    return (await this.#resolve(await this.#digestTarget(ref, digest), signal)) !== null;
  }

  /**
   * The manifest `digest` of `ref`'s repository (GET by digest): its parsed
   * body, checked against the digest. Throws an ImagedriftError on any failure.
   */
  async manifest(ref: ImageRef, digest: string, signal?: AbortSignal): Promise<unknown> {
    if (!isDigest(digest)) throw new ImagedriftError("invalid-argument", `not a digest: ${JSON.stringify(digest)}`);
    const target = await this.#digestTarget(ref, digest);
    const { host } = target;
    const res = await this.#exchange(target, "GET", signal);
    if (res.status !== 200) throw statusError(host.config, res, errorCodes(res));
    if (this.#bodyDigest(target, res) !== digest) throw this.#answerError(target, `another manifest than ${digest}`);
    try {
      return JSON.parse(res.body.toString("utf8")) as unknown;
    } catch {
      throw this.#answerError(target, `a manifest for ${digest} that is not JSON`);
    }
  }

  async #digestTarget(ref: ImageRef, digest: string): Promise<Target> {
    const host = await this.#pool.hostFor(ref);
    const ns = host.config.mirror ? `?ns=${encodeURIComponent(ref.host)}` : "";
    return {
      host,
      name: `${ref.host}/${ref.repository}@${digest}`,
      url: `${host.config.baseUrl}/v2/${ref.repository}/manifests/${digest}${ns}`,
      scope: `repository:${ref.repository}:pull`,
    };
  }

  async #resolve(target: Target, signal: AbortSignal | undefined): Promise<string | null> {
    const { host } = target;
    if (host.blockedUntil > this.#clock.now()) {
      const until = new Date(host.blockedUntil).toISOString();
      throw new ImagedriftError(
        "resource-exhausted",
        `registry ${host.config.host} asked to wait until ${until} (429/503 Retry-After)`,
      );
    }
    let res = await this.#exchange(target, "HEAD", signal);
    const header = res.status === 200 ? res.headers.get("docker-content-digest") : null;
    if (header !== null) {
      if (!isDigest(header.trim()))
        throw this.#answerError(target, `an invalid Docker-Content-Digest ${JSON.stringify(header)}`);
      return header.trim();
    }
    // GET again when HEAD is not enough: no digest header; an auth failure whose reason only the body
    // tells (HEAD answers have none); HEAD refused (405, 501); or a 404, which makes the tag
    // missing-in-registry, a critical verdict that one answer to HEAD must not give alone.
    if (GET_AFTER_HEAD.has(res.status)) {
      res = await this.#exchange(target, "GET", signal);
      if (res.status === 200) return this.#bodyDigest(target, res);
    }
    const codes = errorCodes(res);
    if (
      res.status === 404 ||
      ((res.status === 401 || res.status === 403) && codes.some((c) => NOT_FOUND_CODES.has(c)))
    ) {
      // A web server's 404 page (a wrong mirror URL) must not make a whole cluster "missing-in-registry".
      const type = res.headers.get("content-type") ?? "";
      if (!res.headers.has("docker-distribution-api-version") && /html/i.test(type)) {
        throw this.#answerError(target, `404 with a ${type} page: is ${host.config.baseUrl} a registry?`);
      }
      return null;
    }
    throw statusError(host.config, res, codes);
  }

  /** The digest of a manifest fetched with GET: sha256 of its bytes, as the registry would have named it. */
  #bodyDigest(target: Target, res: HttpResponse): string {
    const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!(MANIFEST_MEDIA_TYPES as readonly string[]).includes(type)) {
      throw this.#answerError(target, `a manifest of type ${JSON.stringify(type)}, not one of the types asked for`);
    }
    return `sha256:${createHash("sha256").update(res.body).digest("hex")}`;
  }

  #answerError(target: Target, what: string): ImagedriftError {
    return new ImagedriftError("failed-precondition", `registry ${target.host.config.host} answered ${what}`);
  }

  /** One request with authentication, retried on transient failures; the last answer, or throws for the network. */
  async #exchange(target: Target, method: "HEAD" | "GET", signal: AbortSignal | undefined): Promise<HttpResponse> {
    const { host } = target;
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse | undefined;
      let failure: unknown;
      try {
        res = await this.#authorized(target, method, signal);
      } catch (error) {
        failure = error;
      }
      signal?.throwIfAborted();
      const transient = res ? isTransientStatus(res.status) : isTransientError(failure);
      if (!transient || attempt >= this.#retry.maxAttempts) {
        if (res) return res;
        throw networkError(host.config, failure, attempt);
      }
      let waitMs = retryBackoffMs(this.#retry, attempt, this.#random);
      const after =
        res && (res.status === 429 || res.status === 503)
          ? retryAfterMs(res.headers.get("retry-after"), this.#clock.now())
          : undefined;
      if (res && after !== undefined) {
        if (after > this.#retry.maxRetryAfterMs) {
          host.blockedUntil = this.#clock.now() + after;
          return res;
        }
        waitMs = after;
      }
      this.#log.debug("registry request failed; trying again", {
        registry: host.config.host,
        reference: target.name,
        method,
        answer: res ? res.status : describeFailure(failure),
        attempt,
        waitMs,
      });
      await this.#clock.sleep(waitMs, signal);
    }
  }

  async #authorized(target: Target, method: "HEAD" | "GET", signal: AbortSignal | undefined): Promise<HttpResponse> {
    const { host } = target;
    const request = (authorization: string | undefined): SendRequest => ({
      method,
      url: target.url,
      headers: { accept: MANIFEST_ACCEPT, ...(authorization ? { authorization } : {}) },
      maxBodyBytes: MAX_MANIFEST_BYTES,
    });
    const sent = await host.auth.authorization(target.scope);
    const res = await this.#pool.send(host, request(sent), signal);
    if (res.status !== 401) return res;
    const challenges = parseWwwAuthenticate(res.headers.get("www-authenticate") ?? "");
    const next = await host.auth.answer(challenges, target.scope, sent);
    if (next === undefined) return res;
    return this.#pool.send(host, request(next), signal);
  }
}

function manifestUrl(config: RegistryHostConfig, ref: ImageRef): string {
  const ns = config.mirror ? `?ns=${encodeURIComponent(ref.host)}` : "";
  return `${config.baseUrl}/v2/${ref.repository}/manifests/${encodeURIComponent(ref.tag ?? "")}${ns}`;
}
