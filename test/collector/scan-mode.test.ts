/**
 * What the collector says of how each node is watched and of each tag's last
 * resolution, from real agents on lab containerd and the real registry: an
 * agent on containerd's event stream reports `events` (an agent with
 * `--events off`, `polling`), shown by GET /api/v1/nodes and `imagedrift
 * nodes`; a tag re-asked by the periodic resolve says `poll`, in the API and
 * in `imagedrift tags`.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, CLI_BIN, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { nodes, tag } from "./api.js";

const TOKEN = "lab-token-scan-mode-3";
let lab: Lab;
let collector: Collector;
const agents: Agent[] = [];

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1", "n2"] });
  const dir = await mkdtemp("/tmp/idl-scanmode-");
  collector = await startCollector({ dir, token: TOKEN, resolveInterval: "2s" });
  for (const [name, extraArgs] of [
    ["n1", []],
    ["n2", ["--events", "off"]],
  ] as const) {
    const node = lab.node(name);
    agents.push(
      await startAgent({
        dir,
        node: name,
        endpoint: node.endpoint,
        collector: collector.grpcAddress,
        tokenFile: collector.tokenFile,
        extraArgs: [...extraArgs],
      }),
    );
  }
});

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await collector?.stop();
  await lab?.stop();
});

function cli(...args: string[]): string {
  const run = spawnSync(process.execPath, [CLI_BIN, "--server", collector.url, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return run.stdout;
}

describe("scan mode and resolution cause, end to end", () => {
  it("an agent on lab containerd's event stream reports events, one with --events off polling", async () => {
    const modes = await waitFor(
      async () => {
        const list = await nodes(collector.url);
        const byName = new Map(list.map((n) => [n.name, n.scanMode]));
        return byName.get("n1") === "events" && byName.get("n2") === "polling" ? byName : undefined;
      },
      { what: "n1 in events mode and n2 polling, as the collector sees them", timeoutMs: 30_000 },
    );
    expect(modes.size).toBe(2);
    const table = cli("nodes");
    expect(table).toMatch(/^NAME +STATE +MODE /m);
    expect(table).toMatch(/^n1 +reporting +events /m);
    expect(table).toMatch(/^n2 +reporting +polling /m);
  });

  it("a tag re-asked by the periodic resolve says poll, in the API and in imagedrift tags", async () => {
    const ref = lab.ref("why/app:1");
    const digest = await lab.buildAndPush("why/app:1", { salt: "why" });
    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    try {
      await cri.pullImage(ref);
    } finally {
      cri.close();
    }
    const view = await waitFor(
      async () => {
        const t = await tag(collector.url, ref);
        return t?.registryDigest === digest && t.resolvedBy === "poll" ? t : undefined;
      },
      { what: "why/app:1 resolved again by the 2 s periodic resolve", timeoutMs: 30_000 },
    );
    expect(Date.parse(view.resolvedAt ?? "")).toBeGreaterThan(Date.now() - 30_000);
    const row = cli("tags")
      .split("\n")
      .find((line) => line.includes("why/app:1"));
    expect(row).toMatch(/ago \(poll\)|just now \(poll\)/);
  });
});
