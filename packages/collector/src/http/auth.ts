import { ImagedriftError } from "@imagedrift/core";
import type { FastifyRequest } from "fastify";
import { sameSecret } from "../same-secret.js";

export interface AccessOptions {
  /** The main token: needed for every mutating request when set; it can read too. */
  token: string | null;
  /** A token that can only read: when set, reads under /api/ need it or the main token. */
  readToken?: string | null;
  /** Reads under /api/ need the main token (or the read token). */
  protectReads: boolean;
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
  if (options.token === null && readToken === null) return;
  const read = request.method === "GET" || request.method === "HEAD";
  const route = request.routeOptions.url ?? request.url.split("?")[0] ?? "";
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
