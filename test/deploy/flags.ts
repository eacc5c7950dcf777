/**
 * The manifests' command lines read the way the programs read them: kebab-case
 * flags (`--cri-endpoint=…`) become the camelCase option keys that
 * `parseAgentConfig` and `parseCollectorConfig` take, and the flags each
 * program declares are read from its source, because a config schema drops
 * unknown keys where commander would refuse an unknown flag.
 */
import { readFileSync } from "node:fs";
import { repoPath } from "./manifests.js";

export type FlagValues = Record<string, string | true>;

export const camelCase = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export interface ParsedArgs {
  /** Words before the first flag (a subcommand and its arguments). */
  positional: string[];
  /** By flag name without the dashes (`cri-endpoint`). */
  flags: FlagValues;
}

/**
 * `--name=value` and boolean `--name`; other words are positional. The manifests write every valued
 * flag with `=`, so that no reader has to know which flags take a value.
 */
export function parseArgs(args: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: FlagValues = {};
  for (const arg of args) {
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name in flags) throw new Error(`--${name} is given twice`);
    flags[name] = eq === -1 ? true : arg.slice(eq + 1);
  }
  return { positional, flags };
}

/** Flag names → option keys, as commander gives them to the program (`cri-endpoint` → `criEndpoint`). */
export const toOptions = (flags: FlagValues): FlagValues =>
  Object.fromEntries(Object.entries(flags).map(([name, value]) => [camelCase(name), value]));

/**
 * The long flags a source file declares with commander (`option("--db <path>", …)`,
 * `new Option("--dry-run", …)`), without the dashes.
 */
export function declaredFlags(sourceFile: string): Set<string> {
  const source = readFileSync(repoPath(sourceFile), "utf8");
  const names = [...source.matchAll(/(?:option|Option)\(\s*"--([a-z][a-z-]*)(?: <[^>]+>| \[[^\]]+\])?"/g)].map(
    (m) => m[1] ?? "",
  );
  if (names.length === 0) throw new Error(`${sourceFile} declares no flags: has the way flags are declared changed?`);
  return new Set(names);
}

/** The args with one flag's value replaced (`--flag=value` form); throws when the flag is not there. */
export function withFlag(args: readonly string[], flag: string, value: string): string[] {
  const at = args.findIndex((arg) => arg.startsWith(`--${flag}=`));
  if (at === -1) throw new Error(`the command line has no --${flag}=…: ${args.join(" ")}`);
  return args.map((arg, i) => (i === at ? `--${flag}=${value}` : arg));
}
