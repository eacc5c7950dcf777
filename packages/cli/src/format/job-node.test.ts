import type { JobNodeItem, PulledImage } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { digest, NOW } from "../api-fixtures.fake.js";
import { job } from "../job-fixtures.fake.js";
import { messageBeyondResult, nodeLine, nodeResult, pulledText } from "./job-node.js";
import { jobSummary } from "./job-table.js";
import { createStyle } from "./style.js";

const plain = createStyle(false);
const pull = (over: Partial<PulledImage> = {}): PulledImage => ({
  ref: "docker.io/library/nginx:1.27",
  imageId: digest("9"),
  digest: digest("a"),
  verified: true,
  alreadyPresent: false,
  ...over,
});
const node = (over: Partial<JobNodeItem>): JobNodeItem => ({ node: "n2", state: "succeeded", message: "", ...over });

describe("a node's share of a job in words", () => {
  it.each([
    [pull(), false, "pulled nginx:1.27 sha256:aaaaaaaaaaaa (verified)"],
    [pull({ verified: false }), false, "pulled nginx:1.27 sha256:aaaaaaaaaaaa (not the digest the registry gave)"],
    [pull({ verified: null, digest: null }), false, "pulled nginx:1.27"],
    [pull({ alreadyPresent: true }), false, "nginx:1.27 already present sha256:aaaaaaaaaaaa (verified)"],
    [pull({ error: "manifest unknown" }), false, "nginx:1.27 failed: manifest unknown"],
    [pull(), true, "would pull nginx:1.27"],
    [pull({ alreadyPresent: true }), true, "nginx:1.27 already present"],
  ])("%j (dry run %s) → %s", (pulled, dryRun, text) => {
    expect(pulledText(pulled, dryRun)).toBe(text);
  });

  it("counts many pulls instead of listing them", () => {
    const pulled = [
      pull(),
      pull({ verified: false }),
      pull({ alreadyPresent: true, verified: null }),
      pull({ error: "x" }),
    ];
    expect(nodeResult(node({ pulled }), false)).toBe(
      "pulled 4 images (1 verified, 1 not at the registry's digest, 1 already present, 1 failed)",
    );
    expect(nodeResult(node({ pulled: pulled.slice(0, 3) }), true)).toBe("would pull 3 images (1 already present)");
  });

  it("says what was removed, with the bytes, and how much was kept", () => {
    const removed = [
      { id: digest("4"), repoTags: ["docker.io/library/nginx:1.25"], bytes: 1024 },
      { id: digest("5"), repoTags: [], bytes: 2048 },
      { id: digest("6"), repoTags: ["redis:6"], bytes: 1024 },
    ];
    expect(nodeResult(node({ removed, skipped: [{ id: digest("1"), repoTags: [], reason: "pinned" }] }), false)).toBe(
      "removed nginx:1.25, sha256:555555555555 +1 more (4.0 KiB); kept 1 in use or protected",
    );
  });

  it("makes one progress line per node: state, result or message, attempts", () => {
    expect(nodeLine(node({ state: "running", message: "pulling nginx:1.27" }), false, plain)).toBe(
      "n2 running: pulling nginx:1.27",
    );
    expect(nodeLine(node({ state: "running", message: "", attempts: 2 }), false, plain)).toBe("n2 running (attempt 2)");
    expect(nodeLine(node({ state: "failed", message: "timed out after 10m", attempts: 3 }), false, plain)).toBe(
      "n2 failed: timed out after 10m (attempt 3)",
    );
    expect(nodeLine(node({ pulled: [pull()], message: "done" }), false, plain)).toBe(
      "n2 succeeded: pulled nginx:1.27 sha256:aaaaaaaaaaaa (verified); done",
    );
    expect(nodeLine(node({ state: "skipped", message: "already at the registry's digest" }), false, plain)).toBe(
      "n2 skipped: already at the registry's digest",
    );
    expect(nodeLine(node({}), false, createStyle(true))).toBe("n2 \u001b[32msucceeded\u001b[39m");
  });
});

describe("a node's message beside its result", () => {
  const containerd =
    'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.27": not found';

  it("says a containerd error once, without the agent's counts the result already gives", () => {
    const failed = node({
      state: "failed",
      pulled: [pull({ error: containerd, digest: null, verified: null })],
      message: `pulled 0, already present 0, failed 1: ${containerd}`,
    });
    const line = nodeLine(failed, false, plain);
    expect(line).toBe(`n2 failed: nginx:1.27 failed: ${containerd}`);
    expect(line.split(containerd).length - 1).toBe(1);
    const table = jobSummary(job("failed", [failed]), { output: "table", style: plain, now: NOW });
    expect(table.split(containerd).length - 1).toBe(1);
    expect(table).not.toContain("pulled 0, already present 0, failed 1");
  });

  it("keeps what the result does not say", () => {
    const retried = node({ state: "failed", message: "agent not connected", pulled: [] });
    expect(messageBeyondResult(retried, nodeResult(retried, false))).toBe("agent not connected");
    const ok = node({ pulled: [pull()], message: "pulled 1, already present 0, failed 0" });
    expect(messageBeyondResult(ok, nodeResult(ok, false))).toBe("");
    const two = node({
      state: "failed",
      pulled: [pull({ error: "e1" }), pull({ ref: "docker.io/library/redis:7", error: "e2" })],
      message: "pulled 0, already present 0, failed 2: e1; e2; then the node went away",
    });
    expect(messageBeyondResult(two, nodeResult(two, false))).toBe("then the node went away");
  });
});
