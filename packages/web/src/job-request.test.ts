import { describe, expect, it } from "vitest";
import type { JobNode } from "./api-types.js";
import { type JobFormValues, jobRequest, nodeResult, reclaimed } from "./job-request.js";

const base: JobFormValues = { type: "prune", images: "", nodes: [], dryRun: true, mode: "unused", keep: "" };

describe("jobRequest", () => {
  it("builds a dry-run prune for every node by default", () => {
    expect(jobRequest(base)).toEqual({ type: "prune", dryRun: true, policy: { mode: "unused" } });
  });

  it("adds nodes, keep patterns and images where they apply", () => {
    expect(jobRequest({ ...base, nodes: ["n1"], keep: "reg/a:*, reg/b:1\n" })).toEqual({
      type: "prune",
      dryRun: true,
      nodes: ["n1"],
      policy: { mode: "unused", keep: ["reg/a:*", "reg/b:1"] },
    });
    expect(jobRequest({ ...base, type: "prepull", images: "a:1 b:2", dryRun: false })).toEqual({
      type: "prepull",
      dryRun: false,
      images: ["a:1", "b:2"],
    });
    expect(jobRequest({ ...base, type: "refresh", dryRun: false })).toEqual({ type: "refresh", dryRun: false });
  });

  it("asks to remove possible only copies only when the box is ticked, and only for prune", () => {
    expect(jobRequest({ ...base, allowUnrecoverable: true })).toEqual({
      type: "prune",
      dryRun: true,
      policy: { mode: "unused" },
      allowUnrecoverable: true,
    });
    expect(jobRequest({ ...base, type: "refresh", allowUnrecoverable: true })).toEqual({
      type: "refresh",
      dryRun: true,
    });
  });

  it("refuses a prepull without images", () => {
    expect(jobRequest({ ...base, type: "prepull" })).toEqual({ error: "A prepull needs at least one image." });
  });
});

describe("nodeResult", () => {
  const node = (extra: Partial<JobNode>): JobNode => ({
    node: "n1",
    state: "succeeded",
    message: "",
    attempts: 1,
    startedAt: null,
    finishedAt: null,
    ...extra,
  });

  it("says what a prune would remove and reclaim", () => {
    const n = node({ removed: [{ id: "sha256:1", repoTags: [], bytes: 2_500_000 }], reclaimedBytes: 2_500_000 });
    expect(nodeResult(n, true)).toBe("would remove 1 image");
    // IEC units, as the CLI prints them: 2,500,000 bytes are 2.38 MiB.
    expect(reclaimed(n)).toBe("2.38 MiB");
  });

  it("counts pulls", () => {
    const pulled = (alreadyPresent: boolean) => ({
      ref: "a:1",
      imageId: "i",
      digest: null,
      verified: null,
      alreadyPresent,
    });
    expect(nodeResult(node({ pulled: [pulled(false), pulled(true)] }), false)).toBe("pulled 1, already present 1");
    expect(nodeResult(node({}), false)).toBe("—");
  });
});
