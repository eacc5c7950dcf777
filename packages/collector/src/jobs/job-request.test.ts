import { tryCatch } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { parseJobRequest } from "./job-request.js";

const problem = (body: unknown) => {
  const { error } = tryCatch(() => parseJobRequest(body));
  expect(error?.code).toBe("invalid-argument");
  return error?.message;
};

describe("parseJobRequest", () => {
  it("accepts every documented field", () => {
    const body = {
      type: "refresh",
      images: ["nginx"],
      nodes: ["n1"],
      nodeSelector: { zone: "a" },
      dryRun: true,
      concurrency: 3,
      removeReplaced: true,
      timeoutMs: 60_000,
      retries: 0,
    };
    expect(parseJobRequest(body)).toEqual(body);
    expect(parseJobRequest({ type: "prune", policy: { mode: "stale", keep: ["**/pause:*"], olderThanMs: 0 } })).toEqual(
      {
        type: "prune",
        policy: { mode: "stale", keep: ["**/pause:*"], olderThanMs: 0 },
      },
    );
  });

  it.each([
    [null, "the body must be a JSON object"],
    [[], "the body must be a JSON object"],
    [{}, "type: required"],
    [{ type: "purge" }, "type: must be one of prepull, refresh, prune"],
    [{ type: "prepull", images: ["nginx"], imagez: [], extra: 1 }, 'unknown field "imagez"; unknown field "extra"'],
    [{ type: "prepull" }, "images: prepull needs at least one image"],
    [{ type: "prepull", images: [""] }, "images[0]: must not be empty"],
    [{ type: "prepull", images: "nginx" }, "images: must be a list of image references"],
    [{ type: "prepull", images: ["nginx"], concurrency: 0 }, "concurrency: must be ≥ 1"],
    [{ type: "prepull", images: ["nginx"], retries: 1.5 }, "retries: must be a whole number"],
    [
      { type: "prepull", images: ["nginx"], nodeSelector: { zone: 1 } },
      "nodeSelector.zone: label values must be strings",
    ],
    [{ type: "prepull", images: ["nginx"], removeReplaced: true }, "removeReplaced: only for refresh"],
    [{ type: "prune" }, "policy: prune needs a policy (at least its mode)"],
    [{ type: "prune", policy: {} }, "policy.mode: required"],
    [{ type: "prune", policy: { mode: "all" } }, "policy.mode: must be one of dangling, unused, stale"],
    [{ type: "prune", policy: { mode: "unused", include: [1] } }, "policy.include[0]: must be a list of patterns"],
    [
      { type: "prune", policy: { mode: "unused", keep: ["a b"] } },
      "policy.keep[0]: must be a non-empty pattern without spaces",
    ],
    [{ type: "prune", policy: { mode: "unused", olderThanMs: -1 } }, "policy.olderThanMs: must be ≥ 0"],
    [
      { type: "prune", policy: { mode: "unused", targetUsagePercent: 100 } },
      "policy.targetUsagePercent: must be between 1 and 99",
    ],
    [{ type: "prune", policy: { mode: "unused", olderThan: "7d" } }, 'unknown field "policy.olderThan"'],
    [{ type: "prune", policy: { mode: "unused" }, images: ["x"] }, "images: not for prune: use policy.include"],
  ])("%j → %s", (body, message) => {
    expect(problem(body)).toContain(message);
  });
});
