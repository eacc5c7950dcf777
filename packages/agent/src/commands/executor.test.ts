import { createLogger } from "@imagedrift/core";
import type { CriClient, CriImage } from "@imagedrift/cri";
import type { AgentMessage, CommandUpdate } from "@imagedrift/protocol";
import { describe, expect, it } from "vitest";
import { CommandExecutor } from "./executor.js";

const REPOSITORY = "127.0.0.1:5000/demo/app";
const DIGEST = `sha256:${"b".repeat(64)}`;
const IMAGE: CriImage = {
  id: `sha256:${"a".repeat(64)}`,
  repoTags: [`${REPOSITORY}:1`],
  repoDigests: [`${REPOSITORY}@${DIGEST}`],
  size: "1000",
  pinned: false,
};

/**
 * The two calls a pull makes, on a node that holds `held`. Pulling adds the
 * image. A stub rather than a runtime: what is tested is when the executor
 * asks for a rescan, not what containerd does (test/agent covers that).
 */
function pullOnlyRuntime(held: Set<string>): CriClient {
  const runtime: Pick<CriClient, "imageStatus" | "pullImage"> = {
    imageStatus: async (ref) => (held.has(ref) ? IMAGE : null),
    pullImage: async (ref) => {
      held.add(ref);
      return IMAGE.id;
    },
  };
  return runtime as CriClient;
}

const log = createLogger({ write: () => {}, level: "error" });
const pull = (id: string, tag: string) => ({
  id,
  jobId: "job",
  specJson: JSON.stringify({
    type: "pull",
    images: [{ ref: `${REPOSITORY}:${tag}`, expectedDigest: DIGEST }],
    dryRun: false,
  }),
  timeoutMs: 60_000,
});

describe("CommandExecutor", () => {
  it("asks for the rescan only after the final update has been sent, once for commands that end together", async () => {
    const events: string[] = [];
    let rescan = () => {};
    const rescanned = new Promise<void>((resolve) => {
      rescan = resolve;
    });
    const executor = new CommandExecutor({
      cri: pullOnlyRuntime(new Set()),
      node: "n1",
      log,
      rescanDelayMs: 20,
      onImagesChanged: () => {
        events.push("rescan");
        rescan();
      },
    });
    const reply = (message: AgentMessage) => {
      if (message.body !== "commandUpdate") return;
      const update: CommandUpdate = message.commandUpdate;
      if (update.state !== "running") events.push(`${update.id} ${update.state}`);
    };
    executor.submit(pull("c1", "1"), reply);
    executor.submit(pull("c2", "2"), reply);
    // The stubbed pulls settle in microtasks: no timer can fire before idle() resolves.
    await executor.idle();
    expect(events).toEqual(["c1 succeeded", "c2 succeeded"]);
    await rescanned;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(events).toEqual(["c1 succeeded", "c2 succeeded", "rescan"]);
  });

  it("asks for no rescan when nothing changed, nor after shutdown", async () => {
    const held = new Set([`${REPOSITORY}:1`]);
    let rescans = 0;
    const executor = new CommandExecutor({
      cri: pullOnlyRuntime(held),
      node: "n1",
      log,
      rescanDelayMs: 1,
      onImagesChanged: () => rescans++,
    });
    const updates: CommandUpdate[] = [];
    const reply = (message: AgentMessage) => {
      if (message.body === "commandUpdate") updates.push(message.commandUpdate);
    };
    executor.submit(pull("present", "1"), reply);
    await executor.idle();
    executor.submit(pull("new", "2"), reply);
    await executor.idle();
    executor.shutdown();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(updates.filter((u) => u.state !== "running").map((u) => [u.id, u.state])).toEqual([
      ["present", "succeeded"],
      ["new", "succeeded"],
    ]);
    expect(rescans).toBe(0);
  });
});
