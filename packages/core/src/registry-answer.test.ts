import { describe, expect, it } from "vitest";
import { describeRegistryAnswer, registryAnswerOf } from "./registry-answer.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const at = "2025-06-01T12:00:00Z";

describe("describeRegistryAnswer", () => {
  it.each([
    [
      { status: "current", registryDigest: DIGEST, resolveError: null, resolvedBy: null, resolvedAt: at },
      "found",
      "registry: sha256:aaaaaaaaaaaa",
    ],
    [
      { status: "missing-in-registry", registryDigest: null, resolveError: null, resolvedBy: null, resolvedAt: at },
      "not-found",
      "not in the registry (HTTP 404)",
    ],
    [
      { status: "unresolved", registryDigest: null, resolveError: "HTTP 503", resolvedAt: at },
      "error",
      "registry unresolved: HTTP 503",
    ],
    [
      { status: "unresolved", registryDigest: null, resolveError: null, resolvedBy: null, resolvedAt: null },
      "not-asked",
      "registry not asked yet",
    ],
  ] as const)("%j is %s", (tag, answer, text) => {
    expect(registryAnswerOf(tag)).toBe(answer);
    expect(describeRegistryAnswer(tag)).toBe(text);
  });

  it("says a local-only tag is local-only and what the registry answered, 404 included", () => {
    const tag = {
      status: "local-only",
      registryDigest: null,
      resolveError: null,
      resolvedBy: null,
      resolvedAt: at,
    } as const;
    expect(describeRegistryAnswer(tag)).toBe(
      "local-only: no node has a repo digest for it (built or imported there, never pulled); not in the registry (HTTP 404)",
    );
  });
});
