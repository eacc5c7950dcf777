/**
 * The global options every command shares, resolved once: flag, then
 * environment variable, then default. Every problem is reported together.
 */
import { type ConfigIssue, configError, parseDuration, tryCatch } from "@imagedrift/core";
import { OUTPUT_FORMATS, type OutputFormat } from "./format/output.js";

export const DEFAULT_SERVER = "http://127.0.0.1:8080";
export const DEFAULT_TIMEOUT = "10s";
export const SERVER_ENV = "IMAGEDRIFT_SERVER";
export const TOKEN_ENV = "IMAGEDRIFT_TOKEN";

/** The global options as commander parsed them (strings, possibly absent). */
export interface GlobalOptions {
  server?: string;
  token?: string;
  output?: string;
  timeout?: string;
}

export interface Settings {
  server: URL;
  /** Null when neither --token nor IMAGEDRIFT_TOKEN is set. */
  token: string | null;
  output: OutputFormat;
  timeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== "")?.trim();
}

/** `collector:8080` is read as `http://collector:8080`; only plain http(s) base URLs without credentials. */
function parseServer(input: string, issues: ConfigIssue[]): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  const url = URL.canParse(withScheme) ? new URL(withScheme) : null;
  const problem =
    url === null
      ? `"${input}" is not a URL (e.g. http://imagedrift-collector:8080)`
      : url.protocol !== "http:" && url.protocol !== "https:"
        ? `"${url.protocol}" is not supported: use http:// or https://`
        : url.username !== "" || url.password !== ""
          ? "must not contain credentials: use --token or IMAGEDRIFT_TOKEN"
          : url.search !== "" || url.hash !== ""
            ? "must not have a query or fragment"
            : null;
  if (problem !== null) issues.push({ path: ["server"], message: problem });
  return url ?? new URL(DEFAULT_SERVER);
}

function parseTimeout(input: string, issues: ConfigIssue[]): number {
  const parsed = tryCatch(() => parseDuration(input));
  if (parsed.error) issues.push({ path: ["timeout"], message: parsed.error.message });
  else if (parsed.value <= 0) issues.push({ path: ["timeout"], message: "must be more than 0 (e.g. 10s)" });
  return parsed.value ?? 0;
}

/** Throws ImagedriftError("invalid-config") listing every bad option. */
export function resolveSettings(options: GlobalOptions, env: Env): Settings {
  const issues: ConfigIssue[] = [];
  const server = parseServer(firstSet(options.server, env[SERVER_ENV]) ?? DEFAULT_SERVER, issues);
  const timeoutMs = parseTimeout(options.timeout ?? DEFAULT_TIMEOUT, issues);
  const output = options.output ?? "table";
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
    issues.push({ path: ["output"], message: `"${output}" is not one of ${OUTPUT_FORMATS.join(", ")}` });
  }
  if (issues.length > 0) throw configError(issues);
  return { server, token: firstSet(options.token, env[TOKEN_ENV]) ?? null, output: output as OutputFormat, timeoutMs };
}
