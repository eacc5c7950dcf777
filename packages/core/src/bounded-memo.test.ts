import { describe, expect, it } from "vitest";
import { BoundedMap, boundedMemo } from "./bounded-memo.js";

describe("boundedMemo", () => {
  it("computes each key once and returns the same result", () => {
    const calls: string[] = [];
    const upper = boundedMemo((key: string) => {
      calls.push(key);
      return { value: key.toUpperCase() };
    });
    const first = upper("a");
    expect(upper("a")).toBe(first);
    expect(upper("b")).toEqual({ value: "B" });
    expect(calls).toEqual(["a", "b"]);
  });

  it("remembers null and undefined results too", () => {
    let calls = 0;
    const none = boundedMemo((key: string) => {
      calls += 1;
      return key === "n" ? null : undefined;
    });
    expect([none("n"), none("n"), none("u"), none("u")]).toEqual([null, null, undefined, undefined]);
    expect(calls).toBe(2);
  });

  it("stays within its limit: cleared when full, then computes again", () => {
    let calls = 0;
    const length = boundedMemo((key: string) => {
      calls += 1;
      return key.length;
    }, 3);
    for (const key of ["a", "bb", "ccc"]) length(key);
    expect(length.size).toBe(3);
    expect(length("dddd")).toBe(4);
    expect(length.size).toBe(1);
    expect(length("a")).toBe(1);
    expect(calls).toBe(5);
    for (let i = 0; i < 100; i++) length(`key-${i}`);
    expect(length.size).toBeLessThanOrEqual(3);
  });

  it("refuses a limit that is not a positive integer", () => {
    expect(() => boundedMemo((k: string) => k, 0)).toThrow(RangeError);
    expect(() => boundedMemo((k: string) => k, 1.5)).toThrow(RangeError);
  });
});

describe("BoundedMap", () => {
  it("holds at most its limit: a new key into a full map starts it over; an old key only updates", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2);
    map.set("a", 3);
    expect([map.size, map.get("a"), map.get("b")]).toEqual([2, 3, 2]);
    map.set("c", 4);
    expect([map.size, map.has("a"), map.get("c")]).toEqual([1, false, 4]);
  });
});
