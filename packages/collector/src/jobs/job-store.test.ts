import type { CommandSpec } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../store/database.js";
import { migrations } from "../store/migrations.js";
import { JobStore, type NewJob } from "./job-store.js";

const pull: CommandSpec = {
  type: "pull",
  images: [{ ref: "reg.example/app:1", expectedDigest: null }],
  dryRun: false,
};

function newJob(id: string, createdAt: string, over: Partial<NewJob> = {}): NewJob {
  return {
    id,
    request: { type: "prepull", images: ["reg.example/app:1"] },
    createdAt,
    createdBy: "token",
    nodes: [
      { node: "n1", state: "pending", message: "", steps: [pull] },
      { node: "n2", state: "skipped", message: "agent missing", steps: [] },
    ],
    ...over,
  };
}

function store() {
  const db = openDatabase(":memory:");
  return { db, jobs: new JobStore(db) };
}

describe("JobStore", () => {
  it("runs on the real migrations (jobs are migration 2)", () => {
    const { db } = store();
    expect(migrations.length).toBeGreaterThanOrEqual(2);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(["jobs", "job_nodes", "audit_log"]));
  });

  it("creates a pending job with its nodes and audits who asked, in one go", () => {
    const { jobs } = store();
    const job = jobs.create(newJob("j1", "2026-01-01T00:00:00.000Z"));
    expect(job).toMatchObject({
      id: "j1",
      type: "prepull",
      state: "pending",
      createdBy: "token",
      finishedAt: null,
      request: { type: "prepull", images: ["reg.example/app:1"] },
    });
    expect(job.nodes).toEqual([
      { node: "n1", state: "pending", message: "", attempts: 0, startedAt: null, finishedAt: null },
      {
        node: "n2",
        state: "skipped",
        message: "agent missing",
        attempts: 0,
        startedAt: null,
        finishedAt: "2026-01-01T00:00:00.000Z",
      },
    ]);
    expect(jobs.progress("j1", "n1")).toMatchObject({ steps: [pull], stepsDone: 0, results: [] });
    expect(jobs.auditLog()).toEqual([
      {
        id: 1,
        at: "2026-01-01T00:00:00.000Z",
        actor: "token",
        action: "job.create",
        detail: { job: "j1", request: { type: "prepull", images: ["reg.example/app:1"] } },
      },
    ]);
  });

  it("leaves nothing behind when a create fails half-way", () => {
    const { jobs } = store();
    const twice = newJob("j1", "2026-01-01T00:00:00.000Z", {
      nodes: [
        { node: "n1", state: "pending", message: "", steps: [] },
        { node: "n1", state: "pending", message: "", steps: [] },
      ],
    });
    expect(() => jobs.create(twice)).toThrow(/UNIQUE/);
    expect(jobs.get("j1")).toBeUndefined();
    expect(jobs.auditLog()).toEqual([]);
  });

  it("lists newest first, filters by state, and knows the active ones oldest first", () => {
    const { jobs } = store();
    jobs.create(newJob("old", "2026-01-01T00:00:00.000Z"));
    jobs.create(newJob("new", "2026-01-02T00:00:00.000Z"));
    jobs.create(newJob("same-time-later", "2026-01-02T00:00:00.000Z"));
    expect(jobs.list().map((j) => j.id)).toEqual(["same-time-later", "new", "old"]);
    jobs.startJob("old", "2026-01-03T00:00:00.000Z");
    expect(jobs.finishJob("old", "partial", "2026-01-03T00:01:00.000Z")).toBe(true);
    expect(jobs.list({ state: "partial" }).map((j) => j.id)).toEqual(["old"]);
    expect(jobs.list({ limit: 1 }).map((j) => j.id)).toEqual(["same-time-later"]);
    expect(jobs.active().map((j) => j.id)).toEqual(["new", "same-time-later"]);
  });

  it("finishes a job once: a second finish (or a finish after cancel) changes nothing", () => {
    const { jobs } = store();
    jobs.create(newJob("j1", "2026-01-01T00:00:00.000Z"));
    jobs.startJob("j1", "2026-01-01T00:00:01.000Z");
    expect(jobs.finishJob("j1", "failed", "2026-01-01T00:00:02.000Z")).toBe(true);
    expect(jobs.finishJob("j1", "succeeded", "2026-01-01T00:00:03.000Z")).toBe(false);
    expect(jobs.get("j1")).toMatchObject({
      state: "failed",
      startedAt: "2026-01-01T00:00:01.000Z",
      finishedAt: "2026-01-01T00:00:02.000Z",
    });
    expect(jobs.cancel("j1", { actor: "token", at: "2026-01-01T00:00:04.000Z", message: "x" })).toBe(false);
  });

  it("updates a node and shows the merged results of its steps", () => {
    const { jobs } = store();
    jobs.create(newJob("j1", "2026-01-01T00:00:00.000Z"));
    jobs.updateNode("j1", "n1", { state: "running", attempts: 1, startedAt: "2026-01-01T00:00:01.000Z" });
    jobs.updateNode("j1", "n1", {
      results: [
        {
          pulled: [
            { ref: "reg.example/app:1", imageId: "sha256:a", digest: null, verified: null, alreadyPresent: false },
          ],
        },
        { removed: [{ id: "sha256:b", repoTags: [], bytes: 5 }], reclaimedBytes: 5 },
      ],
      stepsDone: 2,
      commandId: "j1:n1:1:1",
    });
    expect(jobs.get("j1")?.nodes[0]).toMatchObject({
      state: "running",
      attempts: 1,
      pulled: [{ ref: "reg.example/app:1" }],
      removed: [{ id: "sha256:b" }],
      reclaimedBytes: 5,
    });
    expect(jobs.progress("j1", "n1")?.stepsDone).toBe(2);
  });

  it("cancels pending and running nodes with the job in one transaction, audited", () => {
    const { jobs } = store();
    jobs.create(newJob("j1", "2026-01-01T00:00:00.000Z"));
    jobs.updateNode("j1", "n1", { state: "running", attempts: 1 });
    const at = "2026-01-01T00:01:00.000Z";
    expect(jobs.cancel("j1", { actor: "anonymous", at, message: "cancelled by anonymous" })).toBe(true);
    const job = jobs.get("j1");
    expect(job).toMatchObject({ state: "cancelled", finishedAt: at });
    expect(job?.nodes.map((n) => [n.node, n.state, n.message])).toEqual([
      ["n1", "cancelled", "cancelled by anonymous"],
      ["n2", "skipped", "agent missing"],
    ]);
    expect(jobs.auditLog()[0]).toMatchObject({ actor: "anonymous", action: "job.cancel", detail: { job: "j1" } });
  });

  it("appends free audit entries, stamped by the injected clock", () => {
    const jobs = new JobStore(openDatabase(":memory:"), { now: () => new Date("2026-01-01T00:00:00Z") });
    jobs.audit("token", "something", { a: 1 });
    expect(jobs.auditLog()).toEqual([
      { id: 1, at: "2026-01-01T00:00:00.000Z", actor: "token", action: "something", detail: { a: 1 } },
    ]);
  });
});
