/**
 * Go-style durations (`time.ParseDuration`): a sequence of decimal numbers,
 * each with an optional fraction and a unit, e.g. `1h30m`, `1.5s`, `500ms`.
 * Units: ns, us (µs, μs), ms, s, m, h, and d (24h) on top of Go's.
 */
import { ImagedriftError } from "./errors.js";

const NS_PER_MS = 1_000_000n;

/** Nanoseconds per unit. */
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["µs", 1_000n], // U+00B5 micro sign
  ["μs", 1_000n], // U+03BC Greek mu
  ["ms", NS_PER_MS],
  ["s", 1_000n * NS_PER_MS],
  ["m", 60_000n * NS_PER_MS],
  ["h", 3_600_000n * NS_PER_MS],
  ["d", 86_400_000n * NS_PER_MS],
]);

/** Go's limit: a time.Duration is an int64 count of nanoseconds. */
const MAX_NS = 2n ** 63n - 1n;

const SEGMENT = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]+)/;

function invalid(input: string, rule: string): ImagedriftError {
  return new ImagedriftError("invalid-argument", `invalid duration ${JSON.stringify(input)}: ${rule}`);
}

/**
 * Parses a Go-style duration into milliseconds (fractional below 1ms, e.g.
 * `1us` → 0.001). `0` is the only number allowed without a unit; signs other
 * than a leading `+`, negative values, empty input and unknown units are
 * rejected with ImagedriftError("invalid-argument").
 */
export function parseDuration(s: string): number {
  let rest = s;
  if (rest.startsWith("-")) throw invalid(s, "must not be negative");
  if (rest.startsWith("+")) rest = rest.slice(1);
  if (rest === "") throw invalid(s, "must not be empty");
  if (rest === "0") return 0;

  let total = 0n;
  while (rest !== "") {
    const match = SEGMENT.exec(rest);
    if (match === null) {
      throw invalid(
        s,
        /^[0-9.]+$/.test(rest) ? "missing unit (e.g. 30s, 5m, 1h)" : "expected a number followed by a unit",
      );
    }
    const [whole, integer = "", fraction, unit = ""] = match;
    if (integer === "" && (fraction === undefined || fraction === "")) {
      throw invalid(s, "expected a number before the unit");
    }
    const perUnit = UNITS.get(unit);
    if (perUnit === undefined) {
      throw invalid(s, `unknown unit ${JSON.stringify(unit)} (want ns, us, ms, s, m, h or d)`);
    }
    total += BigInt(integer === "" ? "0" : integer) * perUnit;
    if (fraction !== undefined && fraction !== "") {
      total += (BigInt(fraction) * perUnit) / 10n ** BigInt(fraction.length);
    }
    if (total > MAX_NS) throw invalid(s, "too large");
    rest = rest.slice(whole.length);
  }
  return Number(total / NS_PER_MS) + Number(total % NS_PER_MS) / 1e6;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `digits` after a decimal point, trailing zeros removed ("" when all zero). */
function fractionOf(digits: string): string {
  const trimmed = digits.replace(/0+$/, "");
  return trimmed === "" ? "" : `.${trimmed}`;
}

/**
 * Formats milliseconds compactly, omitting zero components: `0s`, `500ms`,
 * `1.5s`, `1m30s`, `2h`, `1d3h`, `250µs`. The result parses back with
 * parseDuration to the same value (to the nanosecond).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) {
    throw new ImagedriftError("invalid-argument", `invalid duration ${ms}: must be a finite number of milliseconds`);
  }
  if (ms < 0) return `-${formatDuration(-ms)}`;

  let wholeMs = Math.trunc(ms);
  let ns = Math.round((ms - wholeMs) * 1e6);
  if (ns >= 1e6) {
    wholeMs += 1;
    ns -= 1e6;
  }
  if (wholeMs === 0) {
    if (ns === 0) return "0s";
    if (ns < 1000) return `${ns}ns`;
    return `${Math.trunc(ns / 1000)}${fractionOf(pad(ns % 1000, 3))}µs`;
  }
  if (wholeMs < 1000) return `${wholeMs}${fractionOf(pad(ns, 6))}ms`;

  const days = Math.trunc(wholeMs / 86_400_000);
  const hours = Math.trunc(wholeMs / 3_600_000) % 24;
  const minutes = Math.trunc(wholeMs / 60_000) % 60;
  const seconds = Math.trunc(wholeMs / 1000) % 60;
  const secondsFraction = fractionOf(pad(wholeMs % 1000, 3) + pad(ns, 6));

  let out = "";
  if (days > 0) out += `${days}d`;
  if (hours > 0) out += `${hours}h`;
  if (minutes > 0) out += `${minutes}m`;
  if (seconds > 0 || secondsFraction !== "") out += `${seconds}${secondsFraction}s`;
  return out;
}
