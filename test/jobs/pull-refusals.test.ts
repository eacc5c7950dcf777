/**
 * Pulls the registry refuses, on real containerd and the real registry: a
 * prepull of a tag the registry does not have, or one whose registry refuses
 * the collector's credentials, fails at once with the registry's reason and
 * sends nothing to the nodes; a pull the registry refuses on the node is
 * reported with a code that says so (and the collector does not retry it).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import type { CommandResult } from "@imagedrift/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgent } from "../agent/agent-process.js";
import { type Lab, startLab } from "../lab/index.js";
import { CLI_BIN } from "../scenario/processes.js";
import { type ReportingPair, startReportingPair } from "../scenario/reporting-pair.js";
import { createJob, finishedJob } from "./jobs-api.js";

const TOKEN = "refusals-token-7c1d";

interface Site extends ReportingPair {
  lab: Lab;
}

/** One node, its agent reporting to a collector of its own (which has no registry credentials). */
async function startSite(lab: Lab): Promise<Site> {
  const pair = await startReportingPair({ dir: await mkdtemp("/tmp/idl-refuse-"), lab, token: TOKEN });
  return { ...pair, lab };
}

let open: Site;
let locked: Site;

beforeAll(async () => {
  const [openLab, lockedLab] = await Promise.all([
    startLab({ nodes: ["n1"] }),
    startLab({
      nodes: ["n1"],
      registryAuth: { type: "htpasswd", users: [{ username: "puller", password: "refusals-pw-0e5a" }] },
      nodeCredentials: false,
    }),
  ]);
  [open, locked] = await Promise.all([startSite(openLab), startSite(lockedLab)]);
});

afterAll(async () => {
  for (const site of [open, locked]) {
    await site?.stop();
    await site?.lab.stop();
  }
});

const cli = (site: Site, ...args: string[]) =>
  spawnSync(process.execPath, [CLI_BIN, "--server", site.collector.url, "--token", TOKEN, ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });

/** The one-shot agent's pull on the site's node: its JSON result and exit code. */
async function oneShotPull(site: Site, ref: string): Promise<{ code: number | null; result: CommandResult }> {
  const run = await runAgent(["pull", "--cri-endpoint", site.lab.node("n1").endpoint, "--node-name", "n1", ref]);
  return { code: run.code, result: JSON.parse(run.stdout) as CommandResult };
}

describe("prepull asks the registry first", () => {
  it("fails at once when the registry has no such tag, naming it and the 404, with no attempt on a node", async () => {
    const ref = open.lab.ref("shop/api:never-pushed");
    await open.lab.buildAndPush(open.lab.ref("shop/api:1"), { salt: "api 1" });
    const run = cli(open, "prepull", ref);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout + run.stderr).toContain(`${ref}: the registry has no such tag (404)`);
    const job = await finishedJob(
      open.collector.url,
      (await createJob(open.collector.url, TOKEN, { type: "prepull", images: [ref] })).id,
    );
    expect(job.state).toBe("failed");
    expect(job.nodes.map((n) => [n.state, n.attempts])).toEqual([["failed", 0]]);
    expect(job.nodes[0]?.message).toMatch(/^not pulled: .*no such tag \(404\)/);
  });

  it("fails at once, with the registry's reason, when the registry refuses the collector's credentials", async () => {
    const ref = locked.lab.ref("private/app:1");
    await locked.lab.buildAndPush(ref, { salt: "private app 1" });
    const job = await finishedJob(
      locked.collector.url,
      (await createJob(locked.collector.url, TOKEN, { type: "prepull", images: [ref] })).id,
    );
    expect(job.state).toBe("failed");
    expect(job.nodes.map((n) => [n.state, n.attempts])).toEqual([["failed", 0]]);
    expect(job.nodes[0]?.message).toMatch(
      /^not pulled: .*answered 401.*: it needs credentials and none are configured/,
    );
  });

  it("still pulls a tag the registry has", async () => {
    const ref = open.lab.ref("shop/api:2");
    await open.lab.buildAndPush(ref, { salt: "api 2" });
    const run = cli(open, "prepull", ref);
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });
});

describe("a pull containerd's registry refuses is reported as final", () => {
  it("a tag the registry does not have: not-found", async () => {
    const { code, result } = await oneShotPull(open, open.lab.ref("shop/api:nowhere"));
    expect(code).toBe(1);
    expect(result.pulled?.[0]).toMatchObject({ errorCode: "not-found" });
  });

  it("credentials the registry wants and the node lacks: unauthenticated", async () => {
    const ref = locked.lab.ref("private/app:2");
    await locked.lab.buildAndPush(ref, { salt: "private app 2" });
    const { code, result } = await oneShotPull(locked, ref);
    expect(code).toBe(1);
    expect(result.pulled?.[0]).toMatchObject({ errorCode: "unauthenticated" });
  });
});
