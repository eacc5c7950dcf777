import { ImagedriftError } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { parseCommandSpec } from "./command-spec.js";
import { changedImages } from "./executor.js";

const ID = `sha256:${"a".repeat(64)}`;
const DIGEST = `sha256:${"b".repeat(64)}`;
const REF = "127.0.0.1:5000/demo/app:1";

function problem(spec: unknown): string {
  try {
    parseCommandSpec(typeof spec === "string" ? spec : JSON.stringify(spec));
  } catch (error) {
    expect(error).toBeInstanceOf(ImagedriftError);
    expect((error as ImagedriftError).code).toBe("invalid-argument");
    return (error as ImagedriftError).message;
  }
  throw new Error("the spec was accepted");
}

describe("parseCommandSpec", () => {
  it("accepts each command type as the collector sends it", () => {
    const pull = {
      type: "pull",
      images: [
        { ref: REF, expectedDigest: DIGEST, auth: { username: "u", password: "p", serverAddress: "127.0.0.1:5000" } },
      ],
      dryRun: false,
    };
    expect(parseCommandSpec(JSON.stringify(pull))).toEqual(pull);
    const prune = {
      type: "prune",
      policy: { mode: "unused", keep: ["**/pause:*"], olderThanMs: 1000, targetUsagePercent: 80 },
      dryRun: true,
      protect: [REF, ID],
      lastUsed: { [ID]: "2025-01-01T00:00:00Z" },
      staleImageIds: [ID],
      allowUnrecoverable: false,
      recoverable: [ID],
      unrecoverable: { [`sha256:${"c".repeat(64)}`]: "only copy: no registry has this image" },
    };
    expect(parseCommandSpec(JSON.stringify(prune))).toEqual(prune);
    const remove = { type: "remove", imageIds: [ID], dryRun: false, allowUnrecoverable: true, recoverable: [] };
    expect(parseCommandSpec(JSON.stringify(remove))).toEqual(remove);
  });

  it("names what is wrong, under its path", () => {
    expect(problem("{nope")).toBe("invalid command spec: not valid JSON");
    expect(problem([])).toBe("invalid command spec: must be a JSON object");
    expect(problem({ type: "reboot" })).toContain('type: "reboot" is not a command type (want pull, prune, remove)');
    expect(problem({ images: [] })).toContain("type: missing");
    const pull = problem({ type: "pull", images: [{ ref: "UPPER/case", expectedDigest: "sha256:short" }] });
    expect(pull).toContain("images[0].ref: is not a valid image reference");
    expect(pull).toContain("images[0].expectedDigest: must be a digest");
    expect(pull).toContain("dryRun");
    expect(problem({ type: "pull", images: [], dryRun: false })).toContain("images: must name at least one image");
    const prune = problem({
      type: "prune",
      policy: { mode: "everything", targetUsagePercent: 120, keep: [""] },
      dryRun: false,
      protect: ["not a ref"],
      lastUsed: { [ID]: "yesterday" },
      staleImageIds: ["abc"],
    });
    for (const path of [
      "policy.mode",
      "policy.keep[0]",
      "policy.targetUsagePercent",
      "protect[0]",
      `lastUsed.${ID}`,
      "staleImageIds[0]",
    ]) {
      expect(prune).toContain(path);
    }
    expect(problem({ type: "remove", imageIds: ["nginx"], dryRun: false })).toContain(
      "imageIds[0]: must be an image id",
    );
  });

  it("never echoes a credential from a bad spec", () => {
    const secret = "hunter2-s3cret";
    const messages = [
      problem(`{"type":"pull","images":[{"ref":"${REF}","auth":{"password":"${secret}"}}]`),
      problem({
        type: "pull",
        images: [{ ref: REF, expectedDigest: null, auth: { password: secret } }],
        dryRun: false,
      }),
      problem({ type: "pull", images: [{ ref: secret, expectedDigest: null, auth: { password: 42 } }], dryRun: false }),
    ];
    for (const message of messages) expect(message).not.toContain(secret);
  });
});

describe("command helpers", () => {
  it("changedImages: a real pull or removal changed the node; a dry run or already-present image did not", () => {
    const pulled = { ref: REF, imageId: ID, digest: DIGEST, verified: true, alreadyPresent: false };
    expect(changedImages({ pulled: [pulled] })).toBe(true);
    expect(changedImages({ pulled: [{ ...pulled, alreadyPresent: true }] })).toBe(false);
    expect(changedImages({ pulled: [{ ...pulled, error: "x" }] })).toBe(false);
    expect(changedImages({ removed: [{ id: ID, repoTags: [], bytes: 1 }] })).toBe(true);
    expect(changedImages({ removed: [{ id: ID, repoTags: [], bytes: 1 }], dryRun: true })).toBe(false);
  });
});
