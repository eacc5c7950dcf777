import { type ErrorCode, ImagedriftError, toImagedriftError } from "@imagedrift/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** The one place that maps error codes to HTTP statuses. */
const statusByCode: Record<ErrorCode, number> = {
  "invalid-argument": 400,
  "invalid-reference": 400,
  "invalid-config": 400,
  "not-found": 404,
  "already-exists": 409,
  unauthenticated: 401,
  "permission-denied": 403,
  "failed-precondition": 409,
  "resource-exhausted": 429,
  unavailable: 503,
  "deadline-exceeded": 504,
  cancelled: 409,
  unimplemented: 501,
  internal: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return statusByCode[code];
}

/** Turns framework errors (validation, body size, bad JSON) and our own into `{error:{code,message}}`. */
export function toHttpError(thrown: unknown): ImagedriftError {
  const fastifyError = thrown as Partial<FastifyError>;
  if (fastifyError.validation) {
    return new ImagedriftError("invalid-argument", `invalid request: ${fastifyError.message ?? "validation failed"}`);
  }
  if (fastifyError.statusCode === 413)
    return new ImagedriftError("resource-exhausted", fastifyError.message ?? "body too large");
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new ImagedriftError("invalid-argument", fastifyError.message ?? "bad request");
  }
  return toImagedriftError(thrown);
}

export function sendError(reply: FastifyReply, error: ImagedriftError, request?: FastifyRequest): FastifyReply {
  const status =
    error.code === "resource-exhausted" && request?.headers["content-length"] ? 413 : httpStatusOf(error.code);
  return reply.status(status).send({ error: { code: error.code, message: error.message } });
}
