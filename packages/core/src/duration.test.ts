import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";
import { ImagedriftError } from "./errors.js";

describe("parseDuration", () => {
  it.each([
    ["0", 0],
    ["+0", 0],
    ["0s", 0],
    ["60s", 60_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["1.5s", 1_500],
    [".5s", 500],
    ["1.s", 1_000],
    ["1.1s", 1_100],
    ["7d", 604_800_000],
    ["1d12h", 129_600_000],
    ["1h1m1s1ms", 3_661_001],
    ["2m2m", 240_000],
    ["1us", 0.001],
    ["1µs", 0.001],
    ["1μs", 0.001],
    ["1500ns", 0.0015],
    ["1000000ns", 1],
    ["+5s", 5_000],
    ["0.001ms", 0.001],
  ])("%s → %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    ["", "must not be empty"],
    ["+", "must not be empty"],
    ["-5s", "must not be negative"],
    ["-0", "must not be negative"],
    ["5", "missing unit"],
    ["1.5", "missing unit"],
    ["00", "missing unit"],
    ["1h30", "missing unit"],
    ["5x", 'unknown unit "x"'],
    ["5S", 'unknown unit "S"'],
    ["5 s", 'unknown unit " s"'],
    ["5sec", 'unknown unit "sec"'],
    ["s", "expected a number before the unit"],
    [".s", "expected a number before the unit"],
    ["1.5.5s", "expected a number followed by a unit"],
    ["1e3s", 'unknown unit "e"'],
    [" 5s", "expected a number before the unit"],
    ["106752d", "too large"],
  ])("rejects %j (%s)", (input, rule) => {
    let thrown: unknown;
    try {
      parseDuration(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ImagedriftError);
    const error = thrown as ImagedriftError;
    expect(error.code).toBe("invalid-argument");
    expect(error.message).toContain(`invalid duration ${JSON.stringify(input)}: `);
    expect(error.message).toContain(rule);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [500, "500ms"],
    [1.5, "1.5ms"],
    [0.25, "250µs"],
    [0.0015, "1.5µs"],
    [0.000001, "1ns"],
    [1_000, "1s"],
    [1_500, "1.5s"],
    [60_000, "1m"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [5_400_000, "1h30m"],
    [3_605_000, "1h5s"],
    [3_661_001, "1h1m1.001s"],
    [86_400_000, "1d"],
    [604_800_000, "7d"],
    [97_200_000, "1d3h"],
    [-90_000, "-1m30s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("rejects non-finite input", () => {
    expect(() => formatDuration(Number.NaN)).toThrow(ImagedriftError);
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(ImagedriftError);
  });

  it("round-trips through parseDuration", () => {
    for (const ms of [
      0, 1, 999, 1_000, 1_001, 59_999, 61_000, 3_599_999, 86_399_999, 90_061_001, 123_456_789_012, 0.5, 0.001, 1000.5,
    ]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
