/**
 * Parsers for flag values, as commander option parsers: each checks its value
 * and throws ImagedriftError("invalid-argument") naming the flag and the rule,
 * which run.ts turns into exit 2 before any request is sent. Repeatable flags
 * take the value so far as their second argument.
 */
import { formatDuration, ImagedriftError, parseDuration, tryCatch } from "@imagedrift/core";

function invalid(message: string): ImagedriftError {
  return new ImagedriftError("invalid-argument", message);
}

function commaList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** `--nodes a,b, c` (repeatable) → `["a", "b", "c"]`; an empty list is a usage error. */
export function parseNodeList(value: string, previous: string[] = []): string[] {
  const names = commaList(value);
  if (names.length === 0) throw invalid("--nodes needs node names, e.g. --nodes a,b");
  return [...previous, ...names];
}

/** Kubernetes label names and values (apimachinery's IsQualifiedName and IsValidLabelValue). */
const LABEL_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

function labelKeyProblem(key: string): string | null {
  const slash = key.indexOf("/");
  const prefix = slash < 0 ? null : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== null && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key prefix ${JSON.stringify(prefix)} must be a DNS subdomain (lowercase, e.g. node.kubernetes.io)`;
  }
  if (!LABEL_NAME.test(name)) {
    return `label name ${JSON.stringify(name)} must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return null;
}

/** `--selector k=v,k2=v2` (repeatable) → `{k: "v", k2: "v2"}`, checked as Kubernetes labels. */
export function parseSelector(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const pairs = commaList(value);
  if (pairs.length === 0) throw invalid("--selector needs label=value pairs, e.g. --selector pool=gpu");
  const selector = { ...previous };
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals < 0) throw invalid(`--selector ${JSON.stringify(pair)}: want label=value, e.g. pool=gpu`);
    const key = pair.slice(0, equals).trim();
    const labelValue = pair.slice(equals + 1).trim();
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== null) throw invalid(`--selector ${JSON.stringify(pair)}: ${keyProblem}`);
    if (labelValue !== "" && !LABEL_NAME.test(labelValue)) {
      throw invalid(
        `--selector ${JSON.stringify(pair)}: label value must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
      );
    }
    if (selector[key] !== undefined && selector[key] !== labelValue) {
      throw invalid(`--selector gives ${key} two values (${selector[key]} and ${labelValue}): a node has one`);
    }
    selector[key] = labelValue;
  }
  return selector;
}

/** A whole number within [min, max], for flags like --concurrency and --retries. */
export function integerFlag(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
      throw invalid(`${flag} ${JSON.stringify(value)}: want a whole number ${range}`);
    }
    return n;
  };
}

/** A percentage from 1 to 99 (the collector's range), for --target-usage-percent. */
export function percentFlag(flag: string): (value: string) => number {
  return (value) => {
    const n = /^\d+(?:\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!(n >= 1 && n <= 99)) throw invalid(`${flag} ${JSON.stringify(value)}: want a percentage from 1 to 99`);
    return n;
  };
}

/** A positive Go-style duration (`30s`, `10m`, `7d`) in whole milliseconds, at least `minMs` and at most `maxMs`. */
export function durationFlag(flag: string, limits: { minMs?: number; maxMs?: number } = {}): (value: string) => number {
  const { minMs = 1, maxMs = Number.MAX_SAFE_INTEGER } = limits;
  return (value) => {
    const parsed = tryCatch(() => parseDuration(value.trim()));
    if (parsed.error) throw invalid(`${flag}: ${parsed.error.message}`);
    const ms = Math.round(parsed.value);
    if (ms <= 0) throw invalid(`${flag} ${JSON.stringify(value)}: must be more than 0 (e.g. 10m, 7d)`);
    if (ms < minMs) throw invalid(`${flag} ${JSON.stringify(value)}: must be at least ${formatDuration(minMs)}`);
    if (ms > maxMs) throw invalid(`${flag} ${JSON.stringify(value)}: must be at most ${formatDuration(maxMs)}`);
    return ms;
  };
}

/** A repeatable flag whose values are kept in order, e.g. `--keep a --keep b`. */
export function repeatable(flag: string): (value: string, previous?: string[]) => string[] {
  return (value, previous = []) => {
    if (value.trim() === "") throw invalid(`${flag} needs a value`);
    return [...previous, value.trim()];
  };
}
