import { ImagedriftError } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_POLICY,
  isTransientError,
  isTransientStatus,
  retryAfterMs,
  retryBackoffMs,
} from "./retry-policy.js";

describe("retry policy", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2024-01-01T00:00:00Z");
    expect(retryAfterMs("7", now)).toBe(7_000);
    expect(retryAfterMs(" 0 ", now)).toBe(0);
    expect(retryAfterMs("Mon, 01 Jan 2024 00:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Sun, 31 Dec 2023 23:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it("backs off exponentially with full jitter, capped", () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => retryBackoffMs(DEFAULT_RETRY_POLICY, a, top))).toEqual([
      250, 500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect(retryBackoffMs(DEFAULT_RETRY_POLICY, 3, () => 0.5)).toBe(500);
    expect(retryBackoffMs(DEFAULT_RETRY_POLICY, 3, () => 0)).toBe(0);
  });

  it("retries rate limits, gateway and server errors, the network; not client errors", () => {
    expect([429, 500, 502, 503, 504].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404, 501, 505].some(isTransientStatus)).toBe(false);
    expect(isTransientError(new TypeError("fetch failed"))).toBe(true);
    expect(isTransientError(new ImagedriftError("unavailable", "token server 503"))).toBe(true);
    expect(isTransientError(new ImagedriftError("unauthenticated", "refused"))).toBe(false);
  });
});
