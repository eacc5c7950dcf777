import type { NodeItem } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { resolvedText, scanModeText } from "./matrix-cells.js";

describe("what the page says of a tag's last resolution and a node's scan mode", () => {
  it("says when and why the registry was last asked, and 'never' before it was", () => {
    const at = new Date(Date.now() - 120_000).toISOString();
    expect(resolvedText({ resolvedAt: at, resolvedBy: "event" })).toBe(
      "2 min ago, on a registry push notification (event)",
    );
    expect(resolvedText({ resolvedAt: at, resolvedBy: "poll" })).toBe("2 min ago, by the periodic resolve (poll)");
    // Answers stored before the cause was kept.
    expect(resolvedText({ resolvedAt: at, resolvedBy: null })).toBe("2 min ago");
    expect(resolvedText({ resolvedAt: null, resolvedBy: null })).toBe("never");
  });

  it("says the agent's mode, or that it did not say one (an older agent)", () => {
    const node = { name: "n1" } as NodeItem;
    expect(scanModeText({ ...node, scanMode: "events" })).toBe("events: rescans on the runtime's events");
    expect(scanModeText({ ...node, scanMode: "polling" })).toBe("polling: rescans every interval");
    expect(scanModeText({ ...node, scanMode: null })).toBe("scan mode not said by its agent");
  });
});
