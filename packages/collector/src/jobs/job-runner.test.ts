import {
  createLogger,
  type JobRequest,
  type NodeImage,
  silentLogger,
  type TagResolution,
  type TagView,
} from "@imagedrift/core";
import type { Database } from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { CollectorMetrics } from "../metrics.js";
import { FakeClock } from "../registry/clock.fake.js";
import { defaultHostConfig, emptyRegistriesConfig, type RegistriesConfig } from "../registry/registry-host.js";
import { Secret } from "../registry/secret.js";
import { openDatabase } from "../store/database.js";
import { FakeAgentSessions, type FakeBehaviour, succeed } from "./agent-sessions.fake.js";
import type { ClusterFacts } from "./cluster-facts.js";
import { commandPreparer } from "./command-preparer.js";
import { JobRunner } from "./job-runner.js";
import { JobStore } from "./job-store.js";
import type { RegistryAsk } from "./pull-check.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const hold: FakeBehaviour = () => "hold";
const APP = "reg.example/app:1";

interface Setup {
  nodes?: string[];
  db?: Database;
  tagViews?: TagView[];
  resolutions?: ReadonlyMap<string, TagResolution>;
  images?: Record<string, NodeImage[]>;
  registries?: RegistriesConfig;
  logLines?: string[];
  askRegistry?: RegistryAsk;
}

/** A runner on a real SQLite store, with fake agents (a test double) and a fake clock. */
function setup(options: Setup = {}) {
  const db = options.db ?? openDatabase(":memory:");
  const store = new JobStore(db);
  const agents = new FakeAgentSessions();
  const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
  const metrics = new CollectorMetrics({ processMetrics: false });
  const cluster: ClusterFacts = {
    knownNodes: () =>
      (options.nodes ?? ["n1"]).map((name) => ({
        name,
        labels: {},
        missing: false,
        lastReportAt: "2026-01-01T00:00:00Z",
      })),
    tagViews: () => options.tagViews ?? [],
    resolutions: () => options.resolutions ?? new Map(),
    inventory: (node) => {
      const images = options.images?.[node];
      return (
        images && {
          node,
          runtime: { name: "containerd", version: "2", apiVersion: "v1" },
          scannedAt: "2026-01-01T00:00:00Z",
          images,
          pods: [],
          imageFs: { mountpoint: "/", usedBytes: 0, inodesUsed: null },
        }
      );
    },
    lastUsed: () => new Map(),
  };
  const lines = options.logLines;
  const runner = new JobRunner({
    store,
    cluster,
    sessions: agents,
    prepare: commandPreparer({
      cluster,
      registries: options.registries ?? emptyRegistriesConfig,
      recentJobs: () => store.active(),
    }),
    jobsCounter: metrics.jobs,
    log: lines ? createLogger({ write: (line) => lines.push(line), level: "debug" }) : silentLogger,
    clock,
    random: () => 0.5,
    backoff: { baseMs: 1000, maxMs: 4000 },
    ...(options.askRegistry ? { askRegistry: options.askRegistry } : {}),
  });
  agents.deliver = (node, update) => runner.commandUpdate(node, update);
  const finished = async () =>
    Object.fromEntries(
      ((await metrics.jobs.get()).values ?? []).map((v) => [`${v.labels.type}/${v.labels.state}`, v.value]),
    );
  return { db, store, agents, clock, runner, finished };
}

const prepull = (over: Partial<JobRequest> = {}): JobRequest => ({ type: "prepull", images: [APP], ...over });

describe("JobRunner", () => {
  it("works in waves: with concurrency 1 never two nodes at once, in node order", async () => {
    const { agents, runner, finished } = setup({ nodes: ["n1", "n2", "n3"] });
    for (const n of ["n1", "n2", "n3"]) agents.connect(n, hold);
    const job = runner.submit(prepull({ concurrency: 1 }), "token");
    expect(job.state).toBe("running");
    for (const expected of ["n1", "n2", "n3"]) {
      const command = await agents.nextCommand();
      expect(command.node).toBe(expected);
      expect(agents.open.size).toBe(1);
      expect(
        runner
          .get(job.id)
          ?.nodes.filter((n) => n.state === "running")
          .map((n) => n.node),
      ).toEqual([expected]);
      agents.answer(command.id, succeed(command));
    }
    const done = await runner.settled(job.id);
    expect(done).toMatchObject({ state: "succeeded", finishedAt: "2026-01-01T00:00:00.000Z" });
    expect(done?.nodes.map((n) => [n.node, n.state, n.message])).toEqual([
      ["n1", "succeeded", `pulled ${APP}`],
      ["n2", "succeeded", `pulled ${APP}`],
      ["n3", "succeeded", `pulled ${APP}`],
    ]);
    expect(agents.maxOpen).toBe(1);
    expect(await finished()).toEqual({ "prepull/succeeded": 1 });
  });

  it("works at most `concurrency` nodes at once (default 2)", async () => {
    const { agents, runner } = setup({ nodes: ["n1", "n2", "n3", "n4", "n5"] });
    for (const n of ["n1", "n2", "n3", "n4", "n5"]) agents.connect(n, hold);
    const job = runner.submit(prepull(), "token");
    for (const width of [2, 2, 1]) {
      const wave = [await agents.nextCommand()];
      if (width === 2) wave.push(await agents.nextCommand());
      expect(agents.open.size).toBe(width);
      for (const command of wave) agents.answer(command.id, succeed(command));
    }
    expect((await runner.settled(job.id))?.state).toBe("succeeded");
    expect(agents.maxOpen).toBe(2);
  });

  it("retries a failing node with back-off, each attempt a new command id, then marks it failed", async () => {
    const { agents, clock, runner, finished } = setup();
    agents.connect("n1", () => ({ state: "failed", message: `${APP}: registry answered 500` }));
    const job = runner.submit(prepull(), "token");
    await clock.advance(10_000);
    const done = await runner.settled(job.id);
    expect(done?.state).toBe("failed");
    expect(done?.nodes[0]).toMatchObject({
      state: "failed",
      attempts: 3,
      message: `failed after 3 attempts: ${APP}: registry answered 500`,
    });
    expect(agents.commands.map((c) => c.id)).toEqual([`${job.id}:n1:1:0`, `${job.id}:n1:2:0`, `${job.id}:n1:3:0`]);
    // Back-off doubles from 1s (capped at 4s), jittered to 75% by random() = 0.5.
    expect(clock.sleeps.filter((ms) => ms < 60_000)).toEqual([750, 1500]);
    expect(await finished()).toEqual({ "prepull/failed": 1 });
  });

  it("counts a disconnected agent as failed attempts: one node fails, the job is partial", async () => {
    const { agents, clock, runner } = setup({ nodes: ["n1", "n2"] });
    agents.connect("n1");
    const job = runner.submit(prepull(), "token");
    await clock.advance(10_000);
    const done = await runner.settled(job.id);
    expect(done?.state).toBe("partial");
    expect(done?.nodes.map((n) => [n.node, n.state, n.message])).toEqual([
      ["n1", "succeeded", `pulled ${APP}`],
      ["n2", "failed", "failed after 3 attempts: agent not connected"],
    ]);
  });

  it("ends a retry's back-off when the node's agent connects", async () => {
    const { agents, clock, runner } = setup();
    const job = runner.submit(prepull(), "token");
    await clock.advance(0);
    expect(runner.get(job.id)?.nodes[0]?.message).toMatch(/^attempt 1 failed: agent not connected; retrying in 750ms$/);
    agents.connect("n1");
    runner.agentConnected("n1");
    expect((await runner.settled(job.id))?.nodes[0]).toMatchObject({ state: "succeeded", attempts: 2 });
  });

  it("fails an attempt whose agent disconnects mid-command", async () => {
    const { agents, runner } = setup();
    agents.connect("n1", hold);
    const job = runner.submit(prepull({ retries: 0 }), "token");
    await agents.nextCommand();
    agents.disconnect("n1");
    runner.agentDisconnected("n1");
    expect((await runner.settled(job.id))?.nodes[0]?.message).toBe(
      "failed after 1 attempt: agent disconnected during the command",
    );
  });

  it("shows an agent's progress on the node while it runs", async () => {
    const { agents, runner } = setup();
    agents.connect("n1", hold);
    const job = runner.submit(prepull(), "token");
    const command = await agents.nextCommand();
    expect(runner.get(job.id)?.nodes[0]?.message).toBe(`attempt 1: pulling ${APP}`);
    agents.progress(command.id, "3 of 5 layers");
    expect(runner.get(job.id)?.nodes[0]).toMatchObject({ state: "running", message: "attempt 1: 3 of 5 layers" });
    agents.answer(command.id, succeed(command));
    await runner.settled(job.id);
  });

  it("times a node out: the agent is told to cancel, the attempt fails", async () => {
    const { agents, clock, runner } = setup();
    agents.connect("n1", hold);
    const job = runner.submit(prepull({ retries: 0, timeoutMs: 60_000 }), "token");
    const command = await agents.nextCommand();
    expect(command.timeoutMs).toBe(60_000);
    await clock.advance(59_999);
    expect(runner.get(job.id)?.state).toBe("running");
    await clock.advance(1);
    const done = await runner.settled(job.id);
    expect(done?.nodes[0]?.message).toBe("failed after 1 attempt: no answer within 1m (timed out)");
    expect(agents.cancels).toEqual([command.id]);
  });

  it("defaults to 10 minutes per pull and 5 per prune", async () => {
    const { agents, runner } = setup();
    agents.connect("n1");
    await runner.settled(runner.submit(prepull(), "token").id);
    await runner.settled(runner.submit({ type: "prune", policy: { mode: "dangling" } }, "token").id);
    expect(agents.commands.map((c) => [c.spec.type, c.timeoutMs])).toEqual([
      ["pull", 600_000],
      ["prune", 300_000],
    ]);
  });

  it("cancels mid-way: pending nodes cancelled, the running one's agent told to stop, late answers ignored", async () => {
    const { agents, runner, store, finished } = setup({ nodes: ["n1", "n2", "n3"] });
    for (const n of ["n1", "n2", "n3"]) agents.connect(n, hold);
    const job = runner.submit(prepull({ concurrency: 1 }), "token");
    const first = await agents.nextCommand();
    const cancelled = runner.cancel(job.id, "anonymous");
    expect(cancelled.state).toBe("cancelled");
    expect(cancelled.nodes.map((n) => [n.node, n.state, n.message])).toEqual([
      ["n1", "cancelled", "cancelled by anonymous"],
      ["n2", "cancelled", "cancelled by anonymous"],
      ["n3", "cancelled", "cancelled by anonymous"],
    ]);
    expect(agents.cancels).toEqual([first.id]);
    await runner.settled(job.id);
    runner.commandUpdate("n1", { id: first.id, state: "succeeded", message: "", result: {} });
    expect(agents.commands).toHaveLength(1);
    expect(runner.get(job.id)?.nodes[0]?.state).toBe("cancelled");
    expect(store.auditLog()[0]).toMatchObject({ actor: "anonymous", action: "job.cancel", detail: { job: job.id } });
    expect(() => runner.cancel(job.id, "token")).toThrow(/already finished \(cancelled\)/);
    expect(await finished()).toEqual({ "prepull/cancelled": 1 });
  });

  it("resumes after a restart: the interrupted node is retried, nothing is duplicated", async () => {
    const db = openDatabase(":memory:");
    const before = setup({ db, nodes: ["n1", "n2"] });
    before.agents.connect("n1", hold);
    const job = before.runner.submit(prepull({ concurrency: 1, retries: 0 }), "token");
    await before.agents.nextCommand();
    await before.runner.stop();
    expect(before.agents.cancels).toEqual([]);
    expect(before.store.get(job.id)?.nodes.map((n) => [n.node, n.state, n.attempts])).toEqual([
      ["n1", "running", 1],
      ["n2", "pending", 0],
    ]);

    const after = setup({ db, nodes: ["n1", "n2"] });
    after.agents.connect("n1");
    after.agents.connect("n2");
    after.runner.start();
    after.runner.start();
    const done = await after.runner.settled(job.id);
    expect(done?.state).toBe("succeeded");
    // retries: 0, yet the interrupted node gets its one more attempt, under a new command id.
    expect(after.agents.commands.map((c) => c.id)).toEqual([`${job.id}:n1:2:0`, `${job.id}:n2:1:0`]);
    expect(after.store.list()).toHaveLength(1);
    expect(await after.finished()).toEqual({ "prepull/succeeded": 1 });
  });

  it("counts success honestly: a pull at another digest than the registry's fails, naming the reference", async () => {
    const resolutions = new Map([
      [APP, { state: "found", digest: d("1"), resolvedAt: "2026-01-01T00:00:00Z" } as const],
    ]);
    const { agents, runner } = setup({ resolutions });
    agents.connect("n1", () => ({
      state: "succeeded",
      result: {
        pulled: [{ ref: APP, imageId: d("f"), digest: d("9"), verified: false, alreadyPresent: false }],
      },
    }));
    const job = runner.submit(prepull({ retries: 0 }), "token");
    const command = await agents.nextCommand();
    expect(command.spec).toEqual({ type: "pull", dryRun: false, images: [{ ref: APP, expectedDigest: d("1") }] });
    expect((await runner.settled(job.id))?.nodes[0]).toMatchObject({
      state: "failed",
      message: `failed after 1 attempt: ${APP}: the node got ${d("9")}, not the registry's ${d("1")}`,
      pulled: [{ ref: APP, verified: false }],
    });
  });

  it("retries a command the agent cancelled on its own (it was stopping)", async () => {
    const { agents, clock, runner } = setup();
    let calls = 0;
    agents.connect("n1", (command) =>
      ++calls === 1 ? { state: "cancelled", message: "the agent is stopping" } : succeed(command),
    );
    const job = runner.submit(prepull(), "token");
    await clock.advance(0);
    expect(runner.get(job.id)?.nodes[0]?.message).toBe(
      "attempt 1 failed: cancelled on the node: the agent is stopping; retrying in 750ms",
    );
    await clock.advance(750);
    expect((await runner.settled(job.id))?.nodes[0]).toMatchObject({ state: "succeeded", attempts: 2 });
  });

  it("refresh with removeReplaced pulls, then removes the replaced image", async () => {
    const view: TagView = {
      reference: APP,
      registryDigest: d("2"),
      resolvedAt: null,
      resolveError: null,
      resolvedBy: null,
      status: "stale",
      nodes: [{ node: "n1", digest: d("1"), imageId: d("a"), status: "stale" }],
    };
    const old: NodeImage = {
      id: d("a"),
      repoTags: [APP],
      repoDigests: [],
      size: 1000,
      pinned: false,
      sandbox: false,
      inUse: false,
      containers: [],
    };
    const { agents, runner } = setup({ tagViews: [view], images: { n1: [old] } });
    agents.connect("n1");
    const done = await runner.settled(runner.submit({ type: "refresh", removeReplaced: true }, "token").id);
    expect(agents.commands.map((c) => c.spec)).toEqual([
      { type: "pull", dryRun: false, images: [{ ref: APP, expectedDigest: d("2") }] },
      {
        type: "remove",
        dryRun: false,
        imageIds: [d("a")],
        allowUnrecoverable: false,
        recoverable: [],
        unrecoverable: { [d("a")]: `only copy: no registry has this image (never pushed: no repo digest)` },
      },
    ]);
    expect(done?.nodes[0]).toMatchObject({
      state: "succeeded",
      message: `pulled ${APP}; digests verified; removed aaaaaaaaaaaa (1000 B)`,
      removed: [{ id: d("a") }],
      reclaimedBytes: 1000,
    });
  });

  it("a job with nothing to do finishes at once as succeeded", async () => {
    const { runner } = setup();
    const done = await runner.settled(runner.submit({ type: "refresh" }, "token").id);
    expect(done).toMatchObject({
      state: "succeeded",
      nodes: [{ node: "n1", state: "skipped", message: "already current" }],
    });
  });

  it("sends credentials only to the pulling agent: never stored, returned or logged", async () => {
    const registries: RegistriesConfig = {
      hosts: new Map([
        [
          "private.example",
          {
            ...defaultHostConfig("private.example"),
            credentials: { kind: "basic", username: "robot", password: new Secret("s3cret-pw") },
          },
        ],
      ]),
    };
    const logLines: string[] = [];
    const { agents, runner, db } = setup({ registries, logLines });
    agents.connect("n1");
    const job = runner.submit(prepull({ images: ["private.example/team/app:1"] }), "token");
    const done = await runner.settled(job.id);
    expect(done?.state).toBe("succeeded");
    const sent = agents.commands[0]?.spec;
    expect(sent?.type === "pull" && sent.images[0]?.auth).toEqual({
      username: "robot",
      password: "s3cret-pw",
      serverAddress: "https://private.example",
    });
    const rows = ["jobs", "job_nodes", "audit_log"].map((t) => db.prepare(`SELECT * FROM ${t}`).all());
    expect(JSON.stringify(rows)).not.toContain("s3cret");
    expect(JSON.stringify(runner.get(job.id))).not.toContain("s3cret");
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join("")).not.toContain("s3cret");
  });
});

describe("JobRunner: pulls the registry refuses", () => {
  const at = "2026-01-01T00:00:00Z";
  const refusing =
    (status: "not-found" | "unauthenticated"): RegistryAsk =>
    async (tag) =>
      tag !== APP
        ? { state: "found", digest: d("a"), resolvedAt: at }
        : status === "not-found"
          ? { state: "not-found", resolvedAt: at }
          : {
              state: "error",
              code: "unauthenticated",
              scope: "repository",
              error: `${APP}: registry reg.example answered 401: it needs credentials and none are configured`,
              resolvedAt: at,
            };

  it("fails every node at once, sending nothing, when the registry has no such tag", async () => {
    const { agents, runner, finished } = setup({ nodes: ["n1", "n2"], askRegistry: refusing("not-found") });
    for (const n of ["n1", "n2"]) agents.connect(n);
    const done = await runner.settled(runner.submit(prepull(), "token").id);
    expect(done?.state).toBe("failed");
    expect(done?.nodes.map((n) => [n.node, n.state, n.attempts, n.message])).toEqual(
      ["n1", "n2"].map((n) => [
        n,
        "failed",
        0,
        `not pulled: ${APP}: the registry has no such tag (404): push it, or check the name`,
      ]),
    );
    expect(agents.commands).toEqual([]);
    expect(await finished()).toEqual({ "prepull/failed": 1 });
  });

  it("gives the registry's reason when it refuses the credentials, also for a dry run", async () => {
    const { agents, runner } = setup({ askRegistry: refusing("unauthenticated") });
    agents.connect("n1");
    const done = await runner.settled(runner.submit(prepull({ dryRun: true }), "token").id);
    expect(done?.nodes[0]?.message).toMatch(/^not pulled: .*answered 401: it needs credentials/);
    expect(agents.commands).toEqual([]);
  });

  it("pulls the other images' nodes, and goes ahead when the registry cannot be asked", async () => {
    const other = "reg.example/other:2";
    const { agents, runner } = setup({
      askRegistry: async (tag) =>
        tag === other
          ? {
              state: "error",
              code: "unavailable",
              scope: "host",
              error: "cannot reach registry reg.example",
              resolvedAt: at,
            }
          : { state: "found", digest: d("a"), resolvedAt: at },
    });
    agents.connect("n1");
    const done = await runner.settled(runner.submit(prepull({ images: [APP, other] }), "token").id);
    expect(done?.state).toBe("succeeded");
    expect(agents.commands).toHaveLength(1);
  });

  it("does not retry a pull the registry refused on the node (the agent's errorCode)", async () => {
    const { agents, clock, runner } = setup();
    agents.connect("n1", (command) => ({
      state: "failed",
      message: `pulled 0, already present 0, failed 1: ${APP}: not found`,
      result: {
        pulled: [
          {
            ref: APP,
            imageId: "",
            digest: null,
            verified: null,
            alreadyPresent: false,
            error: `CRI PullImage failed (NOT_FOUND): ${APP}: not found`,
            errorCode: "not-found",
          },
        ],
        dryRun: command.spec.dryRun,
      },
    }));
    const job = runner.submit(prepull(), "token");
    await clock.advance(10_000);
    const done = await runner.settled(job.id);
    expect(done?.nodes[0]).toMatchObject({ state: "failed", attempts: 1 });
    expect(done?.nodes[0]?.message).toMatch(/^failed: .*not found \(not retried: the registry refused/);
    expect(agents.commands).toHaveLength(1);
  });
});
