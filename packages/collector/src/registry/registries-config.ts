/**
 * The `--registries-config` file (docs/ARCHITECTURE.md#the-collector, contract):
 *
 *   registries:
 *     - host: registry.example.com      # as written in image references
 *       insecure: false                 # plain HTTP
 *       mirror: https://mirror.example.com
 *       ca: /etc/imagedrift/ca.pem
 *       requestsPerSecond: 10
 *       maxConcurrentRequests: 4        # (imagedrift extension)
 *       auth:
 *         dockerConfigJson: /secrets/pull/.dockerconfigjson   # or: username + passwordFile
 *         # or: provider: aws | gcp | azure (the collector's cloud identity), region: … (aws)
 *
 * Parsing reads the files it references (through an injected reader, relative
 * paths against the config file's folder) and reports every problem at once,
 * each under its path: `registries[1].auth.passwordFile: file not found (…)`.
 */
import { dirname, resolve } from "node:path";
import { type ConfigIssue, ImagedriftError, parseImageRef, tryCatch } from "@imagedrift/core";
import { parseDocument } from "yaml";
import { z } from "zod";
import type { CloudIdentity } from "./cloud-identity.js";
import { credentialsFromDockerConfig } from "./docker-config.js";
import { DEFAULT_MAX_CONCURRENT, DEFAULT_REQUESTS_PER_SECOND } from "./rate-limit.js";
import { defaultHostConfig, type RegistriesConfig, type RegistryHostConfig } from "./registry-host.js";
import { type RegistryCredentials, Secret } from "./secret.js";

/** Reads a referenced file as text; throws a Node fs error (with `code`) when it cannot. */
export type FileReader = (path: string) => Promise<string>;

export interface RegistriesConfigOptions {
  readFile: FileReader;
  /** Where relative file paths start; default the process's working directory. */
  baseDir?: string;
  /** Names the file in the error message. */
  source?: string;
  /** The collector's cloud identities, for `auth.provider` and for ECR/Artifact Registry/ACR hosts by name. */
  cloud?: CloudIdentity | undefined;
}

const authSchema = z
  .strictObject({
    dockerConfigJson: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
    provider: z.enum(["aws", "gcp", "azure"], { error: "must be aws, gcp or azure" }).optional(),
    region: z
      .string()
      .regex(/^[a-z0-9-]+$/, "not an AWS region name")
      .optional(),
  })
  .superRefine((auth, ctx) => {
    if (auth.provider !== undefined || auth.region !== undefined) {
      if (auth.provider === undefined) {
        ctx.addIssue({ code: "custom", path: ["region"], message: "only with provider: aws" });
      } else if (
        auth.dockerConfigJson !== undefined ||
        auth.username !== undefined ||
        auth.passwordFile !== undefined
      ) {
        ctx.addIssue({ code: "custom", message: "provider takes no dockerConfigJson, username or passwordFile" });
      } else if (auth.region !== undefined && auth.provider !== "aws") {
        ctx.addIssue({ code: "custom", path: ["region"], message: "only with provider: aws" });
      }
      return;
    }
    const basic = auth.username !== undefined || auth.passwordFile !== undefined;
    if (auth.dockerConfigJson !== undefined && basic) {
      ctx.addIssue({ code: "custom", message: "either dockerConfigJson or username + passwordFile, not both" });
    } else if (!basic && auth.dockerConfigJson === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "needs dockerConfigJson, username and passwordFile, or provider (aws, gcp, azure)",
      });
    } else if (basic && auth.username === undefined) {
      ctx.addIssue({ code: "custom", path: ["username"], message: "required with passwordFile" });
    } else if (basic && auth.passwordFile === undefined) {
      ctx.addIssue({ code: "custom", path: ["passwordFile"], message: "required with username" });
    }
  });

const entrySchema = z.strictObject({
  host: z.string({ error: "required: the registry host as image references write it" }).min(1),
  insecure: z.boolean().optional(),
  mirror: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
  requestsPerSecond: z.number().positive().max(10_000).optional(),
  maxConcurrentRequests: z.number().int().min(1).max(256).optional(),
  auth: authSchema.optional(),
});

type Entry = Partial<z.output<typeof entrySchema>>;

/** The fields of a rejected entry that are fine on their own. */
function lenientEntry(raw: unknown, error: z.ZodError): Entry {
  if (typeof raw !== "object" || raw === null) return {};
  const bad = new Set(error.issues.map((issue) => issue.path[0]));
  const rest = Object.fromEntries(Object.entries(raw).filter(([key]) => !bad.has(key) && key in entrySchema.shape));
  const parsed = entrySchema.partial().safeParse(rest);
  return parsed.success ? parsed.data : {};
}

const fileSchema = z.strictObject({ registries: z.array(z.unknown()).nullish() }).nullish();

/** `registries[1].auth.passwordFile` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    "",
  );
}

/** Parses the file's text; throws ImagedriftError("invalid-config") listing every problem. */
export async function parseRegistriesConfig(text: string, options: RegistriesConfigOptions): Promise<RegistriesConfig> {
  const issues: ConfigIssue[] = [];
  const hosts = new Map<string, RegistryHostConfig>();
  const doc = parseDocument(text, { uniqueKeys: true });
  for (const error of doc.errors) {
    const at = error.linePos?.[0];
    issues.push({
      path: [],
      message: `${at ? `line ${at.line}, column ${at.col}: ` : ""}${yamlMessage(error.message)}`,
    });
  }
  const top = issues.length === 0 ? fileSchema.safeParse(doc.toJS()) : undefined;
  if (top && !top.success) issues.push(...zodIssues(top.error, []));
  const entries = top?.success ? (top.data?.registries ?? []) : [];

  const seen = new Map<string, number>();
  for (const [index, raw] of entries.entries()) {
    const path = ["registries", index];
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) issues.push(...zodIssues(parsed.error, path));
    // A field with a problem is left out, so that the others are still checked (files read, host compared).
    const entry = parsed.success ? parsed.data : lenientEntry(raw, parsed.error);
    const { config, issues: entryIssues } = await hostConfigFromEntry(entry, path, options);
    issues.push(...entryIssues);
    const name = entry.host === undefined ? undefined : hostOrUndefined(registryHost(entry.host));
    if (name === undefined) continue;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      issues.push({ path: [...path, "host"], message: `${name} is already configured in registries[${earlier}]` });
      continue;
    }
    seen.set(name, index);
    if (config !== undefined && parsed.success && entryIssues.length === 0) hosts.set(name, config);
  }
  if (issues.length > 0) {
    const lines = issues.map((issue) => `  ${formatPath(issue.path) || "(file)"}: ${issue.message}`);
    const where = options.source ? ` ${options.source}` : "";
    throw new ImagedriftError("invalid-config", `invalid registries config${where}:\n${lines.join("\n")}`);
  }
  return { hosts, cloud: options.cloud };
}

/** Reads and parses the file at `path`; relative paths inside it start at its folder. */
export async function loadRegistriesConfig(
  path: string,
  readFile: FileReader,
  cloud?: CloudIdentity,
): Promise<RegistriesConfig> {
  let text: string;
  try {
    text = await readFile(path);
  } catch (error) {
    throw new ImagedriftError("invalid-config", `registries config ${path}: ${fileProblem(error)}`, { cause: error });
  }
  return parseRegistriesConfig(text, { readFile, baseDir: dirname(resolve(path)), source: path, cloud });
}

async function hostConfigFromEntry(
  entry: Entry,
  path: readonly PropertyKey[],
  options: RegistriesConfigOptions,
): Promise<{ config: RegistryHostConfig | undefined; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const problem = (key: readonly PropertyKey[], message: string) => issues.push({ path: [...path, ...key], message });
  const host = entry.host === undefined ? { problem: "" } : registryHost(entry.host);
  if ("problem" in host && entry.host !== undefined) problem(["host"], host.problem);
  const mirror = entry.mirror === undefined ? undefined : mirrorUrl(entry.mirror);
  if (mirror && "problem" in mirror) problem(["mirror"], mirror.problem);

  const read = async (key: readonly PropertyKey[], file: string): Promise<string | undefined> => {
    const full = resolve(options.baseDir ?? ".", file);
    try {
      return await options.readFile(full);
    } catch (error) {
      problem(key, `${fileProblem(error)} (${full})`);
      return undefined;
    }
  };

  let ca: string | undefined;
  if (entry.ca !== undefined) {
    ca = await read(["ca"], entry.ca);
    if (ca !== undefined && !ca.includes("-----BEGIN CERTIFICATE-----")) {
      problem(["ca"], "not a PEM certificate file (no BEGIN CERTIFICATE block)");
    }
  }

  let credentials: RegistryCredentials | undefined;
  const auth = entry.auth;
  if (auth?.dockerConfigJson !== undefined) {
    const text = await read(["auth", "dockerConfigJson"], auth.dockerConfigJson);
    if (text !== undefined && "host" in host) {
      const found = credentialsFromDockerConfig(text, host.host);
      if ("problem" in found) problem(["auth", "dockerConfigJson"], found.problem);
      else credentials = found.credentials;
    }
  } else if (auth?.username !== undefined && auth.passwordFile !== undefined) {
    const password = (await read(["auth", "passwordFile"], auth.passwordFile))?.replace(/\r?\n$/, "");
    if (password === "") problem(["auth", "passwordFile"], "the file is empty");
    else if (password !== undefined)
      credentials = { kind: "basic", username: auth.username, password: new Secret(password) };
  }

  if (!("host" in host) || (mirror && "problem" in mirror)) return { config: undefined, issues };
  const defaults = defaultHostConfig(host.host);
  const insecure = entry.insecure ?? (defaults.insecure && ca === undefined);
  if (auth?.provider !== undefined) {
    if (options.cloud === undefined) problem(["auth", "provider"], "no cloud identity in this collector");
    else {
      const target = { host: host.host, baseUrl: `${insecure ? "http" : "https"}://${new URL(defaults.baseUrl).host}` };
      credentials = options.cloud.credentials(auth.provider, { ...target, region: auth.region });
    }
  }
  const config: RegistryHostConfig = {
    ...defaults,
    insecure,
    baseUrl: mirror?.url ?? `${insecure ? "http" : "https"}://${new URL(defaults.baseUrl).host}`,
    mirror: mirror !== undefined,
    ca,
    requestsPerSecond: entry.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND,
    maxConcurrentRequests: entry.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT,
    credentials,
  };
  return { config, issues };
}

/** The host normalised as in image references (`index.docker.io` → `docker.io`), or why it is not one. */
function registryHost(input: string): { host: string } | { problem: string } {
  if (/[/@]|^[a-z]+:\/\//i.test(input))
    return { problem: `"${input}" is not a bare host[:port] (no scheme, path or @)` };
  const probe = tryCatch(() => parseImageRef(`${input}/imagedrift-probe`));
  if (probe.error) return { problem: probe.error.message.replace("/imagedrift-probe", "") };
  const expected = input.toLowerCase() === "index.docker.io" ? "docker.io" : input;
  if (probe.value.host !== expected) {
    return { problem: `"${input}" is not a registry host: it needs a "." or a ":port", or to be localhost` };
  }
  return { host: probe.value.host };
}

function hostOrUndefined(checked: { host: string } | { problem: string }): string | undefined {
  return "host" in checked ? checked.host : undefined;
}

function mirrorUrl(input: string): { url: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { problem: `"${input}" is not a URL (want e.g. https://mirror.example.com)` };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { problem: "must be an http:// or https:// URL" };
  if (url.username || url.password) return { problem: "must not carry credentials: use auth" };
  if (url.search || url.hash) return { problem: "must not have a query or fragment" };
  return { url: `${url.origin}${url.pathname.replace(/\/+$/, "").replace(/\/v2$/, "")}` };
}

/** yaml's message without the position and the source excerpt it appends. */
function yamlMessage(message: string): string {
  return (message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
}

function zodIssues(error: z.ZodError, prefix: readonly PropertyKey[]): ConfigIssue[] {
  return error.issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...prefix, ...issue.path, key], message: "unknown field" }));
    }
    return [{ path: [...prefix, ...issue.path], message: issue.message }];
  });
}

function fileProblem(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return "file not found";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a directory, not a file";
  return error instanceof Error ? error.message : String(error);
}
