import type { ServiceError } from "@grpc/grpc-js";
import { Metadata, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { grpcTarget } from "./client.js";
import { fromGrpcError, grpcStatusName } from "./status.js";

const serviceError = (code: number, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });

describe("fromGrpcError", () => {
  it.each([
    [status.UNAVAILABLE, "unavailable"],
    [status.DEADLINE_EXCEEDED, "deadline-exceeded"],
    [status.NOT_FOUND, "not-found"],
    [status.INVALID_ARGUMENT, "invalid-argument"],
    [status.UNIMPLEMENTED, "unimplemented"],
    [status.UNAUTHENTICATED, "unauthenticated"],
    [status.RESOURCE_EXHAUSTED, "resource-exhausted"],
    [status.INTERNAL, "internal"],
    [status.UNKNOWN, "internal"],
  ])("maps gRPC status %i to %s, naming the method and the runtime's words", (code, expected) => {
    const error = fromGrpcError("PullImage", serviceError(code, "registry said no"));
    expect(error.code).toBe(expected);
    expect(error.message).toBe(`CRI PullImage failed (${grpcStatusName(code)}): registry said no`);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("wraps things that are not gRPC errors as internal", () => {
    expect(fromGrpcError("Version", "boom").code).toBe("internal");
  });
});

describe("grpcTarget", () => {
  it.each([
    ["unix:///run/containerd/containerd.sock", "unix:///run/containerd/containerd.sock"],
    ["/run/k3s/containerd/containerd.sock", "unix:///run/k3s/containerd/containerd.sock"],
    ["127.0.0.1:10010", "127.0.0.1:10010"],
  ])("accepts %s", (endpoint, target) => {
    expect(grpcTarget(endpoint)).toBe(target);
  });

  it.each(["unix://relative.sock", "tcp://", "http://x", ""])("refuses %j with a clear message", (endpoint) => {
    expect(() => grpcTarget(endpoint)).toThrow(/CRI endpoint/);
  });
});
