/**
 * Checks of single wire values, with the messages zod gave for them (zod
 * was the schema before: the messages agents and logs already know).
 */
import type { ConfigIssue } from "@imagedrift/core";

/** Problems named one by one; beyond that they are counted. */
export const MAX_LISTED = 20;

export type Path = PropertyKey[];

/** Length bounds: items of an array, code points of a string (a surrogate pair is one, as zod counts). */
export interface LengthRule {
  max: number;
  min?: number;
}

/** A string field: its key and its length bounds. */
export interface TextRule extends LengthRule {
  key: string;
}

/** zod's name for the type of what arrived: `null`, `array`, `NaN`, `Infinity`, a class name, `typeof`. */
function received(value: unknown): string {
  if (typeof value === "number") return Number.isFinite(value) ? "number" : String(value);
  if (typeof value !== "object") return typeof value;
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (Object.getPrototypeOf(value) !== Object.prototype && "constructor" in value && value.constructor) {
    return (value.constructor as { name: string }).name;
  }
  return "object";
}

export function invalidType(expected: string, value: unknown): string {
  return `Invalid input: expected ${expected}, received ${received(value)}`;
}

export function tooMany(max: number): string {
  return `Too big: expected array to have <=${max} items`;
}

function codePoints(value: string): number {
  let count = value.length;
  for (let k = 0; k < value.length - 1; k++) {
    if ((value.charCodeAt(k) & 0xfc00) === 0xd800 && (value.charCodeAt(k + 1) & 0xfc00) === 0xdc00) {
      count--;
      k++;
    }
  }
  return count;
}

/** What zod named a lengthy value in a length problem, and its unit. */
function measured(value: unknown, bound: string): string {
  if (Array.isArray(value)) return `expected array to have ${bound} items`;
  if (typeof value === "string") return `expected string to have ${bound} characters`;
  return `expected unknown to be ${bound}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const NOT_UINT: readonly string[] = ["must be a non-negative integer"];
const TOO_LARGE: readonly string[] = ["is too large"];
const NOT_NUMBER: readonly string[] = ["Invalid input"];
const ABOVE_SAFE: readonly string[] = [`Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`];
const BELOW_SAFE: readonly string[] = [
  `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`,
  "Too small: expected number to be >=0",
];
const NEGATIVE: readonly string[] = ["Too small: expected number to be >=0"];

/** 1 to `max` ASCII digits (`/^\d{1,16}$/`). */
function isDigits(value: string, max: number): boolean {
  if (value.length === 0 || value.length > max) return false;
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The number a uint64 from the wire stands for, or -1 when it is none: it
 * is a decimal string of at most 16 digits or a number, either way a safe
 * non-negative integer.
 */
export function uintOf(value: unknown): number {
  if (typeof value === "number") return value >= 0 && Number.isSafeInteger(value) ? value : -1;
  if (typeof value !== "string" || !isDigits(value, 16)) return -1;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : -1;
}

/** What is wrong with a uint64 that uintOf refused (one or two problems, as zod named them). */
export function problemsOfUint(value: unknown): readonly string[] {
  if (typeof value === "string") return isDigits(value, 16) ? TOO_LARGE : NOT_UINT;
  if (typeof value !== "number" || !Number.isInteger(value)) return NOT_NUMBER;
  if (value > Number.MAX_SAFE_INTEGER) return ABOVE_SAFE;
  return value < Number.MIN_SAFE_INTEGER ? BELOW_SAFE : NEGATIVE;
}

/** The first MAX_LISTED problems, each under its path, and how many there are. */
export class Problems {
  readonly listed: ConfigIssue[] = [];
  count = 0;

  add(path: Path, message: string): void {
    if (this.count < MAX_LISTED) this.listed.push({ path, message });
    this.count++;
  }

  /** Checks the string field `rule.key` of the object at `at`; returns it as it came. */
  text(value: unknown, rule: TextRule, at: Path): string {
    if (typeof value !== "string") {
      const path = [...at, rule.key];
      this.add(path, invalidType("string", value));
      this.lengths(value, rule, path);
    } else if (value.length > rule.max || value.length < (rule.min ?? 0)) {
      this.lengths(value, rule, [...at, rule.key]);
    }
    return value as string;
  }

  /**
   * zod's length checks, which also run after a type problem, on anything
   * with a `length` (a string where an array belongs, an array where a
   * string does), comparing that length as JavaScript does.
   */
  lengths(value: unknown, rule: LengthRule, path: Path): void {
    if (value === null || value === undefined) return;
    const units = (value as { length?: unknown }).length as number;
    if (units === undefined) return;
    const long = typeof value === "string" && units > rule.max ? codePoints(value) : units;
    if (!(long <= rule.max)) this.add(path, `Too big: ${measured(value, `<=${rule.max}`)}`);
    if (rule.min === undefined) return;
    const short = typeof value === "string" && units >= rule.min && units < rule.min * 2 ? codePoints(value) : units;
    if (!(short >= rule.min)) this.add(path, `Too small: ${measured(value, `>=${rule.min}`)}`);
  }

  /** Checks the uint64 field `key` of the object at `at`; returns its number. */
  uint(value: unknown, at: Path, key: string): number {
    const n = uintOf(value);
    if (n < 0) for (const problem of problemsOfUint(value)) this.add([...at, key], problem);
    return n;
  }
}
