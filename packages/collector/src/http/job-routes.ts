import {
  ImagedriftError,
  type ItemList,
  JOB_STATES,
  type Job,
  type JobState,
  tryParseImageRef,
} from "@imagedrift/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { parseJobRequest } from "../jobs/job-request.js";
import type { JobsApi } from "../jobs/job-runner.js";

/**
 * Who asked, for the audit log: "token" when the request presented a token
 * (http/auth.ts has already checked it when one is configured), "anonymous"
 * otherwise. Never the token itself.
 */
export function actorOf(request: FastifyRequest): string {
  return request.headers.authorization ? "token" : "anonymous";
}

function stateFilter(value: unknown): JobState | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value === "string" && (JOB_STATES as readonly string[]).includes(value)) return value as JobState;
  throw new ImagedriftError(
    "invalid-argument",
    `state=${JSON.stringify(value)} is not one of ${JOB_STATES.join(", ")}`,
  );
}

function limitOf(value: unknown): number {
  if (value === undefined || value === "") return 100;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new ImagedriftError(
      "invalid-argument",
      `limit=${JSON.stringify(value)} is not a whole number from 1 to 1000`,
    );
  }
  return n;
}

/**
 * The job endpoints of docs/ARCHITECTURE.md#rest-api: submit, list, get, cancel. Mutations are audited by the runner's store.
 * `resolveTags` asks the registry for a prepull's tags first, so that the job
 * carries the digest each node's pull is verified against, even for tags no
 * node holds yet.
 */
export function registerJobRoutes(
  app: FastifyInstance,
  jobs: JobsApi,
  resolveTags?: (tags: readonly string[]) => Promise<void>,
): void {
  app.post("/api/v1/jobs", async (request, reply) => {
    const body = parseJobRequest(request.body);
    // Only a request whose references all parse goes to the registries: one refused for a bad
    // reference (400 from the planner, below) costs no registry request and changes nothing.
    const images = body.images ?? [];
    const resolvable = images.length > 0 && images.every((ref) => tryParseImageRef(ref) !== null);
    if (body.type === "prepull" && resolvable && resolveTags) await resolveTags(images);
    const job = jobs.submit(body, actorOf(request));
    return reply
      .status(202)
      .header("location", `/api/v1/jobs/${encodeURIComponent(job.id)}`)
      .send(job);
  });

  app.get<{ Querystring: { state?: string; limit?: string } }>(
    "/api/v1/jobs",
    async (request): Promise<ItemList<Job>> => ({
      items: jobs.list({ state: stateFilter(request.query.state), limit: limitOf(request.query.limit) }),
    }),
  );

  app.get<{ Params: { id: string } }>("/api/v1/jobs/:id", async (request): Promise<Job> => {
    const job = jobs.get(request.params.id);
    if (!job) throw new ImagedriftError("not-found", `job ${JSON.stringify(request.params.id)} does not exist`);
    return job;
  });

  app.delete<{ Params: { id: string } }>(
    "/api/v1/jobs/:id",
    async (request): Promise<Job> => jobs.cancel(request.params.id, actorOf(request)),
  );
}
