import { describe, expect, it } from "vitest";
import { holderStatus } from "./matrix-cells.js";

describe("holderStatus", () => {
  it("says 'not in registry' for a tag the registry answers 404 for, never '? unknown'", () => {
    expect(holderStatus({ status: "missing-in-registry" }, "unknown")).toEqual({
      text: "⌀ not in registry",
      className: "s-missing",
    });
  });

  it("says 'never pushed' for a local-only tag, and keeps the node's own verdict otherwise", () => {
    expect(holderStatus({ status: "local-only" }, "unknown").text).toBe("⌂ never pushed");
    expect(holderStatus({ status: "unresolved" }, "unknown").text).toBe("? unknown");
    expect(holderStatus({ status: "inconsistent" }, "stale")).toEqual({ text: "✗ stale", className: "s-stale" });
  });
});
