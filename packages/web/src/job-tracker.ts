/** Follows one job: GET /api/v1/jobs/{id} about every second until it finishes. */
import type { Api } from "./api.js";
import type { Job } from "./api-types.js";
import { jobFinished } from "./job-request.js";

export class JobTracker {
  job: Job | null = null;
  error: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly api: Api,
    private readonly handlers: { changed(): void; finished(job: Job): void },
    private readonly intervalMs = 1000,
  ) {}

  get running(): boolean {
    return this.job !== null && !jobFinished(this.job);
  }

  follow(job: Job): void {
    clearTimeout(this.timer);
    this.job = job;
    this.error = null;
    this.handlers.changed();
    if (this.running) this.timer = setTimeout(() => void this.poll(job.id), this.intervalMs);
  }

  async cancel(): Promise<void> {
    if (!this.job) return;
    try {
      this.follow(await this.api.cancelJob(this.job.id));
    } catch (thrown) {
      this.error = (thrown as Error).message;
      this.handlers.changed();
    }
  }

  private async poll(id: string): Promise<void> {
    try {
      const job = await this.api.job(id);
      if (this.job?.id !== id) return;
      this.job = job;
      this.error = null;
    } catch (thrown) {
      if (this.job?.id !== id) return;
      this.error = `progress could not be read: ${(thrown as Error).message}`;
    }
    this.handlers.changed();
    if (this.running) this.timer = setTimeout(() => void this.poll(id), this.intervalMs);
    else if (this.job) this.handlers.finished(this.job);
  }
}
