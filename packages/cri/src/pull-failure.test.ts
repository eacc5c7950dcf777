import { ImagedriftError } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { pullFailureCode } from "./pull-failure.js";

const failure = (code: ImagedriftError["code"], message: string) => new ImagedriftError(code, message);

describe("pullFailureCode", () => {
  it.each([
    [
      "containerd, a tag the registry does not have",
      'CRI PullImage failed (NOT_FOUND): failed to pull and unpack image "127.0.0.1:5000/a:1": failed to resolve reference "127.0.0.1:5000/a:1": 127.0.0.1:5000/a:1: not found',
      "not-found",
    ],
    [
      "containerd, credentials refused (UNKNOWN)",
      'CRI PullImage failed (UNKNOWN): failed to pull and unpack image "r/a:1": failed to resolve reference "r/a:1": pulling from host r failed with status code [manifests 1]: 401 Unauthorized',
      "unauthenticated",
    ],
    [
      "CRI-O, no such manifest",
      "CRI PullImage failed (UNKNOWN): reading manifest 1 in r/a: manifest unknown",
      "not-found",
    ],
    [
      "CRI-O, access denied",
      "CRI PullImage failed (UNKNOWN): denied: requested access to the resource is denied",
      "permission-denied",
    ],
  ])("%s is final", (_, message, code) => {
    expect(pullFailureCode(failure("internal", message))).toBe(code);
  });

  it.each([
    ["a registry 500", "CRI PullImage failed (UNKNOWN): unexpected status code 500 Internal Server Error", "internal"],
    ["a timeout", "CRI PullImage failed (DEADLINE_EXCEEDED): context deadline exceeded", "deadline-exceeded"],
    [
      "a blob missing while unpacking",
      "CRI PullImage failed (UNKNOWN): content digest sha256:ab: not found",
      "internal",
    ],
  ])("%s keeps its own code (worth another attempt)", (_, message, code) => {
    expect(pullFailureCode(failure(code as ImagedriftError["code"], message))).toBe(code);
  });
});
