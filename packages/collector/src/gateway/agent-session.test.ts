import type { CommandSpec } from "@imagedrift/core";
import type { CommandUpdate } from "@imagedrift/protocol";
import { describe, expect, it } from "vitest";
import { commandUpdateOf, wireSession } from "./agent-session.js";

describe("wireSession", () => {
  it("writes a command with its spec as JSON and the cancel, resend and welcome messages", () => {
    const written: unknown[] = [];
    const session = wireSession("n1", (message) => written.push(message));
    const spec: CommandSpec = { type: "remove", imageIds: ["sha256:1"], dryRun: true };
    session.sendCommand({ id: "c1", jobId: "j1", spec, timeoutMs: 60_000 });
    session.cancelCommand("c1");
    session.askInventory("why");
    session.welcome("1.2.3", true);
    expect(written).toEqual([
      { body: "command", command: { id: "c1", jobId: "j1", specJson: JSON.stringify(spec), timeoutMs: 60_000 } },
      { body: "cancelCommand", cancelCommand: { id: "c1" } },
      { body: "resendInventory", resendInventory: { reason: "why" } },
      { body: "welcome", welcome: { collectorVersion: "1.2.3", inventoryWanted: true } },
    ]);
  });
});

describe("commandUpdateOf", () => {
  const wire = (state: string, resultJson = ""): CommandUpdate =>
    ({ id: "c1", state, message: "m", resultJson }) as CommandUpdate;

  it("reads progress, and a final answer with its result (none: empty)", () => {
    expect(commandUpdateOf(wire("running"))).toEqual({ id: "c1", state: "running", message: "m" });
    expect(commandUpdateOf(wire("succeeded", '{"reclaimedBytes":5}'))).toEqual({
      id: "c1",
      state: "succeeded",
      message: "m",
      result: { reclaimedBytes: 5 },
    });
    expect(commandUpdateOf(wire("cancelled"))).toMatchObject({ state: "cancelled", result: {} });
  });

  it("says a final answer whose result is not JSON is unreadable, and drops a state the protocol does not name", () => {
    expect(commandUpdateOf(wire("failed", "{"))).toEqual({
      id: "c1",
      state: "unreadable",
      message: "the agent's result for c1 is not JSON",
    });
    expect(commandUpdateOf(wire("exploded"))).toBeNull();
  });
});
