/** Jobs through the collector's REST API, for end-to-end tests. */
import type { Job, JobRequest } from "@imagedrift/core";
import { waitFor } from "../lab/wait.js";

export async function createJob(url: string, token: string | null, request: JobRequest): Promise<Job> {
  const response = await fetch(`${url}/api/v1/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(request),
  });
  const body = (await response.json()) as Job & { error?: { message: string } };
  if (response.status !== 202) throw new Error(`POST /api/v1/jobs: ${response.status} ${body.error?.message}`);
  return body;
}

export async function getJob(url: string, id: string): Promise<Job> {
  return (await (await fetch(`${url}/api/v1/jobs/${id}`)).json()) as Job;
}

export async function cancelJob(url: string, token: string | null, id: string): Promise<Response> {
  return fetch(`${url}/api/v1/jobs/${id}`, {
    method: "DELETE",
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

const FINISHED = new Set(["succeeded", "failed", "partial", "cancelled"]);

export async function finishedJob(url: string, id: string, timeoutMs = 60_000): Promise<Job> {
  return waitFor(
    async () => {
      const job = await getJob(url, id);
      return FINISHED.has(job.state) ? job : undefined;
    },
    { what: `job ${id} to finish`, timeoutMs, intervalMs: 100 },
  );
}
