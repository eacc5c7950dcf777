import { ImagedriftError } from "./errors.js";

export interface ListenAddress {
  /** "" means every interface. */
  host: string;
  port: number;
}

/** `:9101`, `0.0.0.0:9101`, `127.0.0.1:0`, `[::1]:8080`. */
export function parseListenAddress(input: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([\w.-]*)):(\d{1,5})$/.exec(input.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    throw new ImagedriftError(
      "invalid-config",
      `"${input}" is not a listen address (expected [host]:port, e.g. :9101)`,
    );
  }
  return { host: match[1] ?? match[2] ?? "", port };
}

/** A `host:port` to dial: `collector.imagedrift:9100`, `127.0.0.1:9100`, `[::1]:9100`. */
export function isDialAddress(input: string): boolean {
  const match = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([\w.-]*[A-Za-z0-9])?):(\d{1,5})$/.exec(input);
  return match !== null && Number(match[2] ?? match[3]) <= 65535 && Number(input.slice(input.lastIndexOf(":") + 1)) > 0;
}

export interface ConfigIssue {
  path: readonly PropertyKey[];
  message: string;
}

/** `images[3].repoTags[0]` */
export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join("");
}

/** One line per problem, each under its path: `images[3].size: is too large`. */
export function describeIssues(issues: readonly ConfigIssue[], limit = 20): string {
  const lines = issues.slice(0, limit).map((issue) => `  ${issuePath(issue.path) || "(root)"}: ${issue.message}`);
  if (issues.length > limit) lines.push(`  … and ${issues.length - limit} more`);
  return lines.join("\n");
}

/** One error listing every problem, each under the flag that has it (`--interval: …`). */
export function configError(issues: readonly ConfigIssue[]): ImagedriftError {
  const lines = issues.map((issue) => {
    const key = issue.path.map(String).join(".");
    const flag = key ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : "config";
    return `  ${flag}: ${issue.message}`;
  });
  return new ImagedriftError("invalid-config", `invalid configuration:\n${lines.join("\n")}`);
}
