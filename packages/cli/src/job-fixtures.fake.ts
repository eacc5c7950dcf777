/**
 * Canned jobs (docs/ARCHITECTURE.md#rest-api `GET /api/v1/jobs/{id}` bodies) for the CLI's tests,
 * served by collector.fake.ts: a prepull that goes pending → running →
 * partial, one that succeeds, a prune dry run, and a list of jobs.
 */

import type { JobItem, JobNodeItem, JobRequest, JobState } from "@imagedrift/core";
import { digest, NOW } from "./api-fixtures.fake.js";
import type { CannedRoute } from "./collector.fake.js";

export const JOB_ID = "7f3a9c1e-5b2d-4c3a-9e8f-0a1b2c3d4e5f";
export const JOB_PATH = `/api/v1/jobs/${JOB_ID}`;
export const WEB = "127.0.0.1:5000/shop/web:latest";

const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

export const pendingNode = (node: string): JobNodeItem => ({
  node,
  state: "pending",
  message: "",
  attempts: 0,
  startedAt: null,
  finishedAt: null,
});

export const runningNode = (node: string, message: string, attempts = 1): JobNodeItem => ({
  ...pendingNode(node),
  state: "running",
  message,
  attempts,
  startedAt: ago(10),
});

export const pulledNode = (node: string, ref = WEB, hex = "a"): JobNodeItem => ({
  ...runningNode(node, ""),
  state: "succeeded",
  finishedAt: ago(2),
  pulled: [{ ref, imageId: digest("9"), digest: digest(hex), verified: true, alreadyPresent: false }],
});

export const failedNode = (node: string, message: string, attempts = 3): JobNodeItem => ({
  ...runningNode(node, message, attempts),
  state: "failed",
  finishedAt: ago(1),
});

const FINISHED: readonly JobState[] = ["succeeded", "failed", "partial", "cancelled"];

export function job(state: JobState, nodes: JobNodeItem[], request: JobRequest = { type: "prepull", images: [WEB] }) {
  return {
    id: JOB_ID,
    type: request.type,
    state,
    createdAt: ago(12),
    startedAt: state === "pending" ? null : ago(11),
    finishedAt: FINISHED.includes(state) ? ago(0) : null,
    createdBy: "token",
    request,
    nodes,
  } satisfies JobItem;
}

/** pending → running → partial: worker-2 pulled, worker-3 failed after 3 attempts. */
export const PARTIAL_PREPULL: JobItem[] = [
  job("pending", []),
  job("running", [pendingNode("worker-2"), pendingNode("worker-3")]),
  job("running", [runningNode("worker-2", `pulling ${WEB}`), runningNode("worker-3", `pulling ${WEB}`)]),
  job("running", [pulledNode("worker-2"), runningNode("worker-3", "registry answered 503; retrying", 2)]),
  job("partial", [pulledNode("worker-2"), failedNode("worker-3", "pull failed: registry answered 503")]),
];

export const SUCCEEDED_PREPULL: JobItem[] = [
  job("running", [runningNode("worker-1", `pulling ${WEB}`), pendingNode("worker-2")]),
  job("succeeded", [pulledNode("worker-1"), pulledNode("worker-2")]),
];

const PRUNE_REQUEST: JobRequest = {
  type: "prune",
  dryRun: true,
  policy: { mode: "unused", keep: ["registry.example.com/base/**"] },
};

/** A prune dry run: worker-1 would remove two images (and keeps two in use), worker-2 nothing. */
export const PRUNE_DRY_RUN = job(
  "succeeded",
  [
    {
      ...pulledNode("worker-1"),
      pulled: undefined,
      removed: [
        { id: digest("4"), repoTags: ["docker.io/library/nginx:1.25"], bytes: 70_573_260 },
        { id: digest("5"), repoTags: [], bytes: 512 * 1024 ** 2 },
      ],
      skipped: [
        { id: digest("1"), repoTags: ["docker.io/library/nginx:1.27"], reason: "in use by shop/web-0" },
        { id: digest("3"), repoTags: ["registry.k8s.io/pause:3.10"], reason: "sandbox image" },
      ],
      reclaimedBytes: 70_573_260 + 512 * 1024 ** 2,
    },
    { ...pulledNode("worker-2"), pulled: undefined, removed: [], reclaimedBytes: 0 },
  ],
  PRUNE_REQUEST,
);

export const JOBS: JobItem[] = [
  PARTIAL_PREPULL[PARTIAL_PREPULL.length - 1] as JobItem,
  { ...job("running", [runningNode("worker-1", "removing"), pendingNode("worker-2")], PRUNE_REQUEST), id: "a01b2c" },
  {
    ...job("succeeded", [pulledNode("worker-1", "registry.example.com/team/app:2.4.1", "b")], {
      type: "refresh",
      images: ["registry.example.com/team/app:2.4.1"],
      removeReplaced: true,
    }),
    id: "c3d4e5",
  },
];

/** A collector that accepts the job and then answers its polls with `sequence` (the last answer repeats). */
export function jobRoutes(sequence: readonly JobItem[]): Record<string, CannedRoute> {
  return {
    "POST /api/v1/jobs": { status: 202, body: { id: JOB_ID, state: "pending" } },
    [JOB_PATH]: sequence.map((body) => ({ body })),
  };
}
