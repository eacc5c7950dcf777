/**
 * Following a job: poll `GET /api/v1/jobs/{id}` about every interval until
 * the job finishes, handing each answer on. A few failed polls in a row are
 * tolerated, with growing pauses (a collector restarting resumes its jobs);
 * after that the last error is thrown, saying how to pick the job up again.
 * Aborting the signal (Ctrl-C) stops following at once; the job goes on.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  backoffMs,
  type ErrorCode,
  FINISHED_JOB_STATES,
  ImagedriftError,
  type JobItem,
  toImagedriftError,
} from "@imagedrift/core";

export const DEFAULT_POLL_INTERVAL_MS = 500;
/** Failed polls in a row before giving up: with pauses of 1, 2, 4, 8 intervals, 7.5s at 500ms. */
export const MAX_POLL_FAILURES = 5;

/** Errors worth polling again for: the collector away, slow, busy or failing for a moment. */
const TRANSIENT: readonly ErrorCode[] = ["unavailable", "deadline-exceeded", "resource-exhausted", "internal"];

export interface JobReader {
  getJob(id: string, options?: { signal?: AbortSignal }): Promise<JobItem>;
}

export interface FollowOptions {
  intervalMs: number;
  /** Called with every answer, the last one included. */
  onUpdate(job: JobItem): void;
  /** Aborted when the user stops following. */
  signal: AbortSignal;
  maxPollFailures?: number;
}

/** `finished: false` when following was stopped before the job finished (`job` as last seen, if ever). */
export type FollowOutcome = { finished: true; job: JobItem } | { finished: false; job: JobItem | null };

function lostTrack(id: string, error: ImagedriftError, failures: number): ImagedriftError {
  return new ImagedriftError(
    error.code,
    `${error.message}\n(${failures} polls of job ${id} failed in a row; the job goes on in the collector: imagedrift job ${id} --follow)`,
    { cause: error },
  );
}

export async function followJob(client: JobReader, id: string, options: FollowOptions): Promise<FollowOutcome> {
  const { signal } = options;
  const maxFailures = options.maxPollFailures ?? MAX_POLL_FAILURES;
  let last: JobItem | null = null;
  let failures = 0;
  while (!signal.aborted) {
    try {
      last = await client.getJob(id, { signal });
      failures = 0;
      options.onUpdate(last);
      if (FINISHED_JOB_STATES.includes(last.state)) return { finished: true, job: last };
    } catch (thrown) {
      if (signal.aborted) break;
      const error = toImagedriftError(thrown);
      failures += 1;
      if (!TRANSIENT.includes(error.code)) throw error;
      if (failures >= maxFailures) throw lostTrack(id, error, failures);
    }
    const pause = backoffMs({ baseMs: options.intervalMs, maxMs: Number.POSITIVE_INFINITY, jitter: "none" }, failures);
    await sleep(pause, undefined, { signal }).catch(() => undefined);
  }
  return { finished: false, job: last };
}
