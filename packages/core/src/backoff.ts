/**
 * The one backoff: the delay doubles from `baseMs` with each attempt, up to
 * `maxMs`, and is then jittered, so that many clients that failed together
 * (agents after a collector restart, job retries after a registry outage) do
 * not come back together.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /**
   * "full": anywhere in [0, delay] (spreads a herd most); "half": in
   * [delay/2, delay] (never retries at once); "none": the delay itself.
   * Default "full".
   */
  jitter?: "full" | "half" | "none";
}

/** The delay before retry `attempt` (counted from 1); `random` gives [0, 1). */
export function backoffMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = policy.jitter ?? "full";
  if (jitter === "none") return ceiling;
  const floor = jitter === "half" ? ceiling / 2 : 0;
  return Math.round(floor + random() * (ceiling - floor));
}
