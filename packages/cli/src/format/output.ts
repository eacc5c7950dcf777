/** The three output formats of every read command (docs/ARCHITECTURE.md#cli `-o table|json|yaml`). */
import { stringify } from "yaml";

export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Machine output: the API's list items as an array (or a result object), as JSON or YAML, ending in a newline. */
export function renderData(value: unknown, format: "json" | "yaml"): string {
  if (format === "json") return `${JSON.stringify(value, null, 2)}\n`;
  return stringify(value, { lineWidth: 0 });
}

/** Table text for people, or the data for programs. */
export function renderOutput<T>(value: T, format: OutputFormat, table: (value: T) => string): string {
  return format === "table" ? table(value) : renderData(value, format);
}
