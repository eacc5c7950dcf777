import { ImagedriftError } from "@imagedrift/core";
import type { FastifyRequest } from "fastify";
import { sameSecret } from "../same-secret.js";
import { REGISTRY_EVENTS_PATH } from "./registry-event-routes.js";

export interface AccessOptions {
  /** The main token: needed for every mutating request when set; it can read too. */
  token: string | null;
  /** A token that can only read: when set, reads under /api/ need it or the main token. */
  readToken?: string | null;
  /** Reads under /api/ need the main token (or the read token). */
  protectReads: boolean;
  /** `--registry-events-token-file`: registries may post their notifications with it (or the main token). */
  registryEventsToken?: string | null;
}

/** The presented token: "missing", "main", "read" or "wrong". Never the token itself. */
function presented(request: FastifyRequest, options: AccessOptions): "missing" | "main" | "read" | "wrong" {
  const header = request.headers.authorization;
  if (!header) return "missing";
  if (!/^Bearer /i.test(header)) {
    throw new ImagedriftError("unauthenticated", 'the Authorization header must be "Bearer <token>"');
  }
  const given = header.slice("Bearer ".length);
  if (options.token !== null && sameSecret(given, options.token)) return "main";
  if (options.readToken && sameSecret(given, options.readToken)) return "read";
  return "wrong";
}

/**
 * Mutating requests need `Authorization: Bearer <token>` when a token is
 * configured; reads under /api/ too with `protectReads` or a read token.
 * Health, metrics, the page and the OpenAPI document stay open. Whether a
 * path is under /api/ is taken from the route it matched, so that an
 * encoded path (`/%61pi/v1/nodes`) cannot read around the check.
 */
export function checkAccess(request: FastifyRequest, options: AccessOptions): void {
  const readToken = options.readToken ?? null;
  const route = request.routeOptions.url ?? request.url.split("?")[0] ?? "";
  if (route === REGISTRY_EVENTS_PATH && request.method === "POST" && options.registryEventsToken) {
    checkRegistryEventsToken(request, options.registryEventsToken, options.token);
    return;
  }
  if (options.token === null && readToken === null) return;
  const read = request.method === "GET" || request.method === "HEAD";
  if (read && (!route.startsWith("/api/") || (!options.protectReads && readToken === null))) return;
  if (!read && options.token === null) return;
  const who = presented(request, options);
  if (who === "missing") {
    throw new ImagedriftError(
      "unauthenticated",
      `${request.method} ${route} needs a token: send Authorization: Bearer <token>`,
    );
  }
  if (who === "wrong") throw new ImagedriftError("unauthenticated", "the token is not valid");
  if (who === "read" && !read) {
    throw new ImagedriftError(
      "permission-denied",
      `the read token cannot ${request.method} ${route}: changes need the main token`,
    );
  }
}

/**
 * A registry's notification: the registry-events token or the main token,
 * as `Authorization: Bearer <token>` (docker-registry sends the header its
 * endpoint is configured with).
 */
function checkRegistryEventsToken(request: FastifyRequest, eventsToken: string, token: string | null): void {
  const header = request.headers.authorization;
  if (!header) {
    throw new ImagedriftError(
      "unauthenticated",
      `POST ${REGISTRY_EVENTS_PATH} needs a token: send Authorization: Bearer <token>`,
    );
  }
  if (!/^Bearer /i.test(header)) {
    throw new ImagedriftError("unauthenticated", 'the Authorization header must be "Bearer <token>"');
  }
  const given = header.slice("Bearer ".length);
  if (sameSecret(given, eventsToken) || (token !== null && sameSecret(given, token))) return;
  throw new ImagedriftError("unauthenticated", "the token is not valid");
}
