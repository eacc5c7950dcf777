import { describe, expect, it } from "vitest";
import { MAX_ENTRIES, StringChecks, ValidStrings } from "./string-cache.js";

const hex = (n: number) => n.toString(16).padStart(64, "0");
/** A copy that is a different string object, as a decoded message's strings are. */
const fresh = (s: string) => [...s].join("");

describe("ValidStrings", () => {
  it("finds what it was given, also as a new string of the same characters", () => {
    const valid = new ValidStrings(16);
    valid.add("reg.example/app:1");
    expect(valid.has(fresh("reg.example/app:1"))).toBe(true);
    expect(valid.has("reg.example/app:2")).toBe(false);
    expect(valid.has("")).toBe(false);
  });

  it("finds strings whose length and last characters collide (the Set behind the table)", () => {
    const valid = new ValidStrings(8);
    const tail = ":latest-0";
    const strings = Array.from({ length: 5 }, (_, k) => `reg.example/app-${k}${tail}`);
    for (const s of strings) valid.add(s);
    for (let round = 0; round < 3; round++) for (const s of strings) expect(valid.has(fresh(s))).toBe(true);
    expect(valid.has(`reg.example/app-9${tail}`)).toBe(false);
  });

  it("holds at most MAX_ENTRIES, starting over beyond, and keeps no long strings", () => {
    const valid = new ValidStrings(16);
    for (let k = 0; k < MAX_ENTRIES; k++) valid.add(`r/a:${k}`);
    expect(valid.size).toBe(MAX_ENTRIES);
    valid.add("r/a:last");
    expect(valid.size).toBe(1);
    expect(valid.has("r/a:last")).toBe(true);
    valid.add(`r/${"a".repeat(600)}`);
    expect(valid.size).toBe(1);
  });
});

describe("the remembered checks", () => {
  const checks = new StringChecks();
  const isImageId = (value: string) => checks.isImageId(value);
  const referenceProblem = (value: string) => checks.referenceProblem(value);
  const repoDigestProblem = (value: string) => checks.repoDigestProblem(value);

  it("answer the same the first time and every time after", () => {
    for (let round = 0; round < 3; round++) {
      expect(isImageId(fresh(`sha256:${hex(1)}`))).toBe(true);
      expect(isImageId(`sha256:${hex(0xabc).toUpperCase()}`)).toBe(false);
      expect(isImageId(`sha256:${hex(1)}0`)).toBe(false);
      expect(isImageId(hex(1))).toBe(false);
      expect(referenceProblem(fresh("reg.example/app:1"))).toBeNull();
      expect(referenceProblem("nginx:")).toBe("invalid reference \"nginx:\": tag must not be empty (trailing ':')");
      expect(repoDigestProblem(fresh(`reg.example/app@sha256:${hex(2)}`))).toBeNull();
      expect(repoDigestProblem("reg.example/app:1")).toBe(
        'invalid repo digest "reg.example/app:1" (expected host/repository@sha256:<64 hex>)',
      );
    }
  });

  it("keep the kinds apart: a valid tag is no repo digest", () => {
    expect(referenceProblem("reg.example/app:7")).toBeNull();
    expect(repoDigestProblem("reg.example/app:7")).toMatch(/^invalid repo digest/);
    expect(isImageId("reg.example/app:7")).toBe(false);
  });
});
