/**
 * Small helpers that make finding messages and remedies read the same
 * everywhere: familiar references, short digests, counted lists. Internal to
 * the findings engine (not re-exported from the package).
 */
import { parsedReference } from "./image-names.js";
import { familiarName } from "./image-ref.js";

/** How many items a message lists before "and N more". */
const MESSAGE_LIST_LIMIT = 5;

/** Code-unit order: the same on every machine and locale, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Distinct strings in code-unit order. */
export function sortedUnique(values: Iterable<string>): string[] {
  if (Array.isArray(values) && isStrictlyAscending(values)) return values.slice();
  return [...new Set(values)].sort(compareText);
}

/** Whether a list is sorted and distinct already (as node lists mostly are): then it needs no set and no sort. */
function isStrictlyAscending(values: readonly string[]): boolean {
  for (let i = 1; i < values.length; i++) if (!((values[i - 1] ?? "") < (values[i] ?? ""))) return false;
  return true;
}

/** The reference as people type it (`nginx:1.25`); the input itself when it does not parse. */
export function familiarRef(reference: string): string {
  const ref = parsedReference(reference);
  return ref === null ? reference : familiarName(ref);
}

/** `1 node`, `3 nodes`. */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** `a, b, c and 4 more` (at most five named). */
export function listOf(items: readonly string[]): string {
  if (items.length <= MESSAGE_LIST_LIMIT) return items.join(", ");
  return `${items.slice(0, MESSAGE_LIST_LIMIT).join(", ")} and ${items.length - MESSAGE_LIST_LIMIT} more`;
}
