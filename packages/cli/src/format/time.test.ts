import { describe, expect, it } from "vitest";
import { formatAgo } from "./time.js";

const now = new Date("2025-06-01T12:00:00Z");
const before = (ms: number) => new Date(now.getTime() - ms).toISOString();

describe("formatAgo", () => {
  it.each([
    [before(0), "just now"],
    [before(999), "just now"],
    [before(45_000), "45s ago"],
    [before(3 * 60_000 + 59_000), "3m ago"],
    [before(2 * 3_600_000), "2h ago"],
    [before(47 * 3_600_000), "47h ago"],
    [before(5 * 86_400_000), "5d ago"],
    [before(-3000), "just now"],
    [before(-120_000), "in 2m"],
    [null, "-"],
    ["yesterday", "yesterday"],
  ])("%s → %s", (iso, text) => {
    expect(formatAgo(iso, now)).toBe(text);
  });
});
