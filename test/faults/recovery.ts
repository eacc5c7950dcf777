/** The figure each fault test prints for the closing note: which fault, and how long until recovered. */

/** Prints `[faults] <fault>: recovered in N ms (detail)`. */
export function reportRecovery(fault: string, ms: number, detail = ""): void {
  console.log(`[faults] ${fault}: recovered in ${Math.round(ms)} ms${detail ? ` (${detail})` : ""}`);
}

/** Milliseconds since `start` (a performance.now() value). */
export const since = (start: number): number => performance.now() - start;
