/** Small shared pieces of the registry lab tests: a registries file on disk, a logger that keeps its lines. */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createLogger, type Logger } from "@imagedrift/core";
import { loadRegistriesConfig, type RegistriesConfig } from "../../packages/collector/src/registry/index.js";

/** Writes `files` (name → content) and `registries.yaml` into `dir`, then loads it as the collector would. */
export async function registriesConfigFile(
  dir: string,
  yaml: string,
  files: Readonly<Record<string, string>> = {},
): Promise<RegistriesConfig> {
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content, { mode: 0o600 });
  const path = join(dir, "registries.yaml");
  await writeFile(path, yaml);
  return loadRegistriesConfig(path, (p) => readFile(p, "utf8"));
}

/** A debug-level logger whose lines the test reads. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ write: (line) => lines.push(line), level: "debug" }), lines };
}
