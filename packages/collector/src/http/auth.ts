import { ImagedriftError } from "@imagedrift/core";
import type { FastifyRequest } from "fastify";
import { sameSecret } from "../same-secret.js";

/**
 * Mutating requests need `Authorization: Bearer <token>` when a token is
 * configured; reads too with `protectReads`. Health and metrics stay open.
 */
export function checkAccess(request: FastifyRequest, options: { token: string | null; protectReads: boolean }): void {
  if (options.token === null) return;
  const read = request.method === "GET" || request.method === "HEAD";
  const path = request.url.split("?")[0] ?? "";
  if (read && (!options.protectReads || !path.startsWith("/api/"))) return;
  const header = request.headers.authorization;
  if (!header) {
    throw new ImagedriftError("unauthenticated", "this request needs a token: send Authorization: Bearer <token>");
  }
  if (!sameSecret(header, `Bearer ${options.token}`)) {
    throw new ImagedriftError("unauthenticated", "the token is not valid");
  }
}
