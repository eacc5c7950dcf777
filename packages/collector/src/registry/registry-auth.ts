/**
 * Authentication with one registry, learnt from its challenges:
 *
 * - `Basic realm=…`: the configured username and password on every request.
 * - `Bearer realm=…,service=…`: a token from the realm for the scope
 *   `repository:<repo>:pull` (Basic credentials to the token server when
 *   configured, anonymous otherwise; an identity token is exchanged by the
 *   OAuth2 refresh-token POST), cached per scope until `expires_in` (default
 *   60 s) minus a margin, one fetch at a time per scope.
 *
 * A cloud identity's credentials are taken from its cache on each use (it
 * renews them before they expire) and dropped when the registry or its token
 * server refuses them, so the next request exchanges afresh.
 *
 * Once a challenge is known, later requests carry credentials up front, so a
 * registry answers 401 once per host rather than once per request. Tokens and
 * passwords stay in `Secret`s and in Authorization headers: no message here
 * names one.
 */
import { ImagedriftError, isLoopbackHost } from "@imagedrift/core";
import type { Clock } from "./clock.js";
import type { HttpResponse } from "./http-transport.js";
import { credentialsRefused } from "./registry-errors.js";
import type { RegistryHostConfig } from "./registry-host.js";
import { basicAuthorization, currentCredentials, Secret } from "./secret.js";
import type { AuthChallenge } from "./www-authenticate.js";

/** Sends a request to the token server on behalf of the registry (rate limit, timeout and metrics included). */
export type TokenSender = (request: {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
}) => Promise<HttpResponse>;

const DEFAULT_TOKEN_LIFETIME_S = 60;
const MAX_EXPIRY_MARGIN_MS = 10_000;
const CLIENT_ID = "imagedrift";

interface CachedToken {
  token: Secret;
  expiresAt: number;
}

export class RegistryAuth {
  readonly #config: RegistryHostConfig;
  readonly #clock: Clock;
  readonly #send: TokenSender;
  #challenge: AuthChallenge | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #fetching = new Map<string, Promise<Secret>>();

  constructor(config: RegistryHostConfig, clock: Clock, send: TokenSender) {
    this.#config = config;
    this.#clock = clock;
    this.#send = send;
  }

  /** The Authorization header to send up front for `scope`, from what earlier challenges taught; undefined before any. */
  async authorization(scope: string): Promise<string | undefined> {
    const challenge = this.#challenge;
    if (challenge?.scheme === "basic") return this.#basic();
    if (challenge?.scheme !== "bearer") return undefined;
    const cached = this.#tokens.get(scope);
    if (cached !== undefined && cached.expiresAt > this.#clock.now()) return `Bearer ${cached.token.reveal()}`;
    return `Bearer ${(await this.#token(challenge, scope)).reveal()}`;
  }

  /**
   * After a 401 carrying `challenges`: the Authorization header to retry with,
   * or undefined when retrying cannot help (nothing new to send).
   */
  async answer(
    challenges: readonly AuthChallenge[],
    scope: string,
    sent: string | undefined,
  ): Promise<string | undefined> {
    const challenge = challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
    if (challenge === undefined) return undefined;
    this.#challenge = challenge;
    let next: string | undefined;
    if (challenge.scheme === "basic") {
      next = await this.#basic();
      if (next !== undefined && next === sent && this.#config.credentials?.kind === "cloud") {
        // Refused: a fresh exchange may help (a token revoked or expired early); send it once.
        this.#config.credentials.invalidate();
        next = await this.#basic();
      }
    } else {
      // A request sent before a token came (or with an older one) is answered with the token
      // another request has fetched since; only the token it was refused with is asked for anew.
      const cached = this.#tokens.get(scope);
      const held =
        cached !== undefined && cached.expiresAt > this.#clock.now() ? `Bearer ${cached.token.reveal()}` : undefined;
      if (held !== undefined && held !== sent) return held;
      this.#tokens.delete(scope);
      next = `Bearer ${(await this.#token(challenge, scope)).reveal()}`;
    }
    return next === sent ? undefined : next;
  }

  async #basic(): Promise<string | undefined> {
    const credentials = await currentCredentials(this.#config.credentials);
    return credentials?.kind === "basic" ? basicAuthorization(credentials.username, credentials.password) : undefined;
  }

  #token(challenge: AuthChallenge, scope: string): Promise<Secret> {
    const running = this.#fetching.get(scope);
    if (running) return running;
    const fetching = this.#fetchToken(challenge, scope).finally(() => this.#fetching.delete(scope));
    this.#fetching.set(scope, fetching);
    return fetching;
  }

  async #fetchToken(challenge: AuthChallenge, scope: string): Promise<Secret> {
    const host = this.#config.host;
    const realm = tokenRealm(challenge, host);
    const credentials = await currentCredentials(this.#config.credentials);
    if (credentials && realm.protocol !== "https:" && !this.#config.insecure && !isLoopbackHost(realm.host)) {
      throw new ImagedriftError(
        "failed-precondition",
        `registry ${host}: token realm ${realm.origin} is plain HTTP; not sending credentials there (set insecure: true to allow)`,
      );
    }
    const service = challenge.params.service;
    let response: HttpResponse;
    if (credentials?.kind === "identity-token") {
      const form = new URLSearchParams({ grant_type: "refresh_token", client_id: CLIENT_ID, scope });
      if (service !== undefined) form.set("service", service);
      form.set("refresh_token", credentials.token.reveal());
      response = await this.#send({
        method: "POST",
        url: realm.href,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      });
    } else {
      if (service !== undefined) realm.searchParams.set("service", service);
      realm.searchParams.set("scope", scope);
      const headers: Record<string, string> = {};
      if (credentials) headers.authorization = basicAuthorization(credentials.username, credentials.password);
      response = await this.#send({ method: "GET", url: realm.href, headers });
    }
    if ((response.status === 401 || response.status === 403) && this.#config.credentials?.kind === "cloud") {
      this.#config.credentials.invalidate();
    }
    const where = `registry ${host}: token server ${realm.host}`;
    return this.#store(scope, tokenFrom(response, { where, scope, refused: credentialsRefused(this.#config) }));
  }

  #store(scope: string, token: { token: Secret; lifetimeMs: number }): Secret {
    const now = this.#clock.now();
    const margin = Math.min(MAX_EXPIRY_MARGIN_MS, token.lifetimeMs / 5);
    if (this.#tokens.size >= 1_000) {
      for (const [key, cached] of this.#tokens) if (cached.expiresAt <= now) this.#tokens.delete(key);
    }
    this.#tokens.set(scope, { token: token.token, expiresAt: now + token.lifetimeMs - margin });
    return token.token;
  }
}

function tokenRealm(challenge: AuthChallenge, host: string): URL {
  const realm = challenge.params.realm;
  try {
    if (realm === undefined) throw new Error("no realm");
    const url = new URL(realm);
    if (url.protocol === "https:" || url.protocol === "http:") return url;
  } catch {
    // reported below
  }
  throw new ImagedriftError("unauthenticated", `registry ${host}: Bearer challenge without a usable realm URL`);
}

/**
 * The token in the server's answer; `where` names registry and token server for
 * messages, `refused` says whose credentials a refusal turned down.
 */
function tokenFrom(
  response: HttpResponse,
  ask: { where: string; scope: string; refused: string },
): { token: Secret; lifetimeMs: number } {
  const { where, scope } = ask;
  if (response.status === 401 || response.status === 403) {
    throw new ImagedriftError(
      response.status === 401 ? "unauthenticated" : "permission-denied",
      `${where} refused the token request for ${scope} (${response.status}): ${ask.refused}`,
    );
  }
  if (response.status !== 200) {
    const code = response.status === 429 || response.status >= 500 ? "unavailable" : "unauthenticated";
    throw new ImagedriftError(code, `${where} answered ${response.status} to the token request for ${scope}`);
  }
  let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(response.body.toString("utf8")) as typeof body;
  } catch {
    throw new ImagedriftError("unauthenticated", `${where} answered a token response that is not JSON`);
  }
  const token = typeof body.token === "string" && body.token ? body.token : body.access_token;
  if (typeof token !== "string" || token === "") {
    throw new ImagedriftError("unauthenticated", `${where} answered without a token or access_token`);
  }
  const seconds =
    typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  return { token: new Secret(token), lifetimeMs: seconds * 1000 };
}
