import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { type ErrorCode, ImagedriftError } from "@imagedrift/core";

/** The one place that knows gRPC status codes: each maps to a project error code. */
const codeByStatus: Partial<Record<number, ErrorCode>> = {
  [GrpcStatus.CANCELLED]: "cancelled",
  [GrpcStatus.INVALID_ARGUMENT]: "invalid-argument",
  [GrpcStatus.DEADLINE_EXCEEDED]: "deadline-exceeded",
  [GrpcStatus.NOT_FOUND]: "not-found",
  [GrpcStatus.ALREADY_EXISTS]: "already-exists",
  [GrpcStatus.PERMISSION_DENIED]: "permission-denied",
  [GrpcStatus.RESOURCE_EXHAUSTED]: "resource-exhausted",
  [GrpcStatus.FAILED_PRECONDITION]: "failed-precondition",
  [GrpcStatus.ABORTED]: "unavailable",
  [GrpcStatus.OUT_OF_RANGE]: "invalid-argument",
  [GrpcStatus.UNIMPLEMENTED]: "unimplemented",
  [GrpcStatus.UNAVAILABLE]: "unavailable",
  [GrpcStatus.UNAUTHENTICATED]: "unauthenticated",
};

export function isServiceError(thrown: unknown): thrown is ServiceError {
  return thrown instanceof Error && typeof (thrown as Partial<ServiceError>).code === "number";
}

/** The gRPC status name of an error (`UNAVAILABLE`), for metrics labels. */
export function grpcStatusName(code: number): string {
  return GrpcStatus[code] ?? String(code);
}

/** Maps a failed CRI call to an ImagedriftError naming the method and the runtime's message. */
export function fromGrpcError(method: string, thrown: unknown): ImagedriftError {
  if (!isServiceError(thrown)) {
    return new ImagedriftError("internal", `CRI ${method} failed: ${String(thrown)}`, { cause: thrown });
  }
  const code = codeByStatus[thrown.code] ?? "internal";
  const detail = thrown.details || thrown.message;
  return new ImagedriftError(code, `CRI ${method} failed (${grpcStatusName(thrown.code)}): ${detail}`, {
    cause: thrown,
  });
}
