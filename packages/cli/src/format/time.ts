/** Timestamps as distances from now: `just now`, `45s ago`, `3m ago`, `2h ago`, `5d ago`. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Clocks of the collector and this machine differ a little; small future times read as "just now". */
const SKEW_TOLERANCE = 5 * SECOND;

function distance(ms: number): string {
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)}s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m`;
  if (ms < 2 * DAY) return `${Math.floor(ms / HOUR)}h`;
  return `${Math.floor(ms / DAY)}d`;
}

/** How long before `now` the ISO time `iso` was; `-` for null, the input itself when it does not parse. */
export function formatAgo(iso: string | null | undefined, now: Date): string {
  if (iso === null || iso === undefined || iso === "") return "-";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const ms = now.getTime() - at;
  if (ms < -SKEW_TOLERANCE) return `in ${distance(-ms)}`;
  if (ms < SECOND) return "just now";
  return `${distance(ms)} ago`;
}
