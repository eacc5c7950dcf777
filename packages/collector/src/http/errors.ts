import type { Socket } from "node:net";
import { type ErrorCode, ImagedriftError, toImagedriftError } from "@imagedrift/core";
import type { FastifyError, FastifyReply } from "fastify";

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

/** An error and the status it is answered with (a framework's 4xx keeps its own: 413, 414, 415). */
export interface HttpError {
  error: ImagedriftError;
  status: number;
}

/** What an error message may name about the request besides the error itself. */
export interface ErrorContext {
  bodyLimitBytes: number;
  contentType?: string | undefined;
}

/** What the framework's own 4xx errors say, naming what was wrong with the request. */
function frameworkMessage(error: Partial<FastifyError>, context: ErrorContext): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return `the request body is larger than the limit of ${context.bodyLimitBytes} bytes`;
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return `unsupported content-type ${JSON.stringify((context.contentType ?? "").slice(0, 100))}: send the body as application/json`;
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return "the body's size does not match its Content-Length";
    case "FST_ERR_BAD_URL":
      return `the URL path ${error.message?.replace(/ is not a valid url component$/, "")} is not valid (bad percent-encoding)`;
    case "FST_ERR_MAX_PARAM_LENGTH":
      return `a path parameter is too long: ${error.message}`;
    default:
      return `bad request: ${error.message ?? "the request was refused"}`;
  }
}

/** Turns framework errors (validation, body size, bad JSON, bad URL) and our own into an error and its status. */
export function toHttpError(thrown: unknown, context: ErrorContext): HttpError {
  const fastifyError = thrown as Partial<FastifyError>;
  if (fastifyError.validation) {
    return {
      error: new ImagedriftError("invalid-argument", `invalid request: ${fastifyError.message ?? "validation failed"}`),
      status: 400,
    };
  }
  const status = fastifyError.statusCode;
  if (!(thrown instanceof ImagedriftError) && typeof status === "number" && status >= 400 && status < 500) {
    const code: ErrorCode = status === 413 ? "resource-exhausted" : "invalid-argument";
    return { error: new ImagedriftError(code, frameworkMessage(fastifyError, context)), status };
  }
  const error = toImagedriftError(thrown);
  return { error, status: httpStatusOf(error.code) };
}

export function sendError(reply: FastifyReply, { error, status }: HttpError): FastifyReply {
  return reply.status(status).send({ error: { code: error.code, message: error.message } });
}

/**
 * Requests node's HTTP parser refuses before any route sees them (a malformed
 * request line, headers too large, a timeout): answered in the API's error
 * shape, then the connection is closed, as node does by default.
 */
export function answerClientError(thrown: Error & { code?: string }, socket: Socket): void {
  if (thrown.code === "ECONNRESET" || socket.destroyed) return;
  const [status, reason, message] =
    thrown.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "Request Timeout", "the request was not received in time"]
      : thrown.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large", "the request headers are too large"]
        : [400, "Bad Request", `the request is not valid HTTP (${thrown.code ?? "parse error"})`];
  const body = JSON.stringify({ error: { code: "invalid-argument", message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
