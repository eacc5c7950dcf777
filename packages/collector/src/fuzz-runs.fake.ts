import type { Database } from "better-sqlite3";
import fc from "fast-check";

/** Runs seeded properties and counts their cases, for the fuzz suites' closing line. */
export class FuzzRuns {
  readonly #ran: Record<string, number> = {};
  readonly #started = performance.now();

  /** Runs a property with a fixed seed, stopping at the first failure, and counts its cases under `name`. */
  async check<T>(
    name: string,
    arbitrary: fc.Arbitrary<T>,
    numRuns: number,
    seed: number,
    run: (value: T) => Promise<void>,
  ): Promise<void> {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        count++;
        await run(value);
      }),
      { numRuns, seed, endOnFailure: true },
    );
    this.#ran[name] = (this.#ran[name] ?? 0) + count;
  }

  /** `LABEL: N cases in Ss {"name": n, ...}`. */
  summary(label: string): string {
    const total = Object.values(this.#ran).reduce((a, b) => a + b, 0);
    const seconds = ((performance.now() - this.#started) / 1000).toFixed(1);
    return `${label}: ${total} cases in ${seconds}s ${JSON.stringify(this.#ran)}`;
  }
}

/** Every table's rows, each row as JSON, sorted: what "nothing changed" is checked against. */
export function tableRows(db: Database): Record<string, string[]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    tables.map((t) => [
      t,
      (db.prepare(`SELECT * FROM "${t}"`).all() as unknown[]).map((row) => JSON.stringify(row)).sort(),
    ]),
  );
}
