/**
 * The global options every command shares, resolved once: flag, then
 * environment variable, then default. Each global flag has its variable
 * (`--timeout` → IMAGEDRIFT_TIMEOUT), checked by the same rules; every
 * problem is reported together, naming the flag or the variable it came from.
 */
import { ImagedriftError, parseDuration, tryCatch } from "@imagedrift/core";
import { OUTPUT_FORMATS, type OutputFormat } from "./format/output.js";

export const DEFAULT_SERVER = "http://127.0.0.1:8080";
export const DEFAULT_TIMEOUT = "10s";
export const SERVER_ENV = "IMAGEDRIFT_SERVER";
export const TOKEN_ENV = "IMAGEDRIFT_TOKEN";
export const OUTPUT_ENV = "IMAGEDRIFT_OUTPUT";
export const TIMEOUT_ENV = "IMAGEDRIFT_TIMEOUT";
/** The API's own path: a --server that ends with it is read as the collector's base URL. */
const API_PATH = /\/api\/v1\/*$/;

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

/** A value and where it came from (`--timeout`, `IMAGEDRIFT_TIMEOUT`), for messages; null when neither is set. */
interface Given {
  value: string;
  source: string;
}

function given(flag: string, flagValue: string | undefined, env: Env, name: string): Given | null {
  if (flagValue !== undefined && flagValue.trim() !== "") return { value: flagValue.trim(), source: flag };
  const fromEnv = env[name];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return { value: fromEnv.trim(), source: name };
  return null;
}

/**
 * `collector:8080` is read as `http://collector:8080`; only plain http(s)
 * base URLs without credentials. A trailing `/api/v1` (the API's own path,
 * copied from a request) is dropped, as the client adds it to every call.
 */
function parseServer(input: Given, issues: string[]): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input.value) ? input.value : `http://${input.value}`;
  const url = URL.canParse(withScheme) ? new URL(withScheme) : null;
  const problem =
    url === null
      ? `"${input.value}" is not a URL (e.g. http://imagedrift-collector:8080)`
      : url.protocol !== "http:" && url.protocol !== "https:"
        ? `"${url.protocol}" is not supported: use http:// or https://`
        : url.username !== "" || url.password !== ""
          ? `must not contain credentials: use --token or ${TOKEN_ENV}`
          : url.search !== "" || url.hash !== ""
            ? "must not have a query or fragment"
            : null;
  if (problem !== null) issues.push(`${input.source}: ${problem}`);
  if (url === null) return new URL(DEFAULT_SERVER);
  url.pathname = url.pathname.replace(API_PATH, "/");
  return url;
}

function parseTimeout(input: Given, issues: string[]): number {
  const parsed = tryCatch(() => parseDuration(input.value));
  if (parsed.error) issues.push(`${input.source}: ${parsed.error.message}`);
  else if (parsed.value <= 0) issues.push(`${input.source}: must be more than 0 (e.g. 10s)`);
  return parsed.value ?? 0;
}

function parseOutput(input: Given, issues: string[]): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(input.value)) return input.value as OutputFormat;
  issues.push(`${input.source}: "${input.value}" is not one of ${OUTPUT_FORMATS.join(", ")}`);
  return "table";
}

/** Throws ImagedriftError("invalid-config") listing every bad option or variable. */
export function resolveSettings(options: GlobalOptions, env: Env): Settings {
  const issues: string[] = [];
  const server = parseServer(
    given("--server", options.server, env, SERVER_ENV) ?? { value: DEFAULT_SERVER, source: "default" },
    issues,
  );
  const timeoutMs = parseTimeout(
    given("--timeout", options.timeout, env, TIMEOUT_ENV) ?? { value: DEFAULT_TIMEOUT, source: "default" },
    issues,
  );
  const output = parseOutput(
    given("--output", options.output, env, OUTPUT_ENV) ?? { value: "table", source: "default" },
    issues,
  );
  if (issues.length > 0) {
    throw new ImagedriftError("invalid-config", `invalid settings:\n${issues.map((issue) => `  ${issue}`).join("\n")}`);
  }
  const token = given("--token", options.token, env, TOKEN_ENV)?.value ?? null;
  return { server, token, output, timeoutMs };
}
