/**
 * Credentials from a docker `config.json` or a Kubernetes dockerconfigjson
 * secret file: `{"auths": {"<host>": {"auth": base64(user:pass)} |
 * {"username", "password"} | {"identitytoken"}}}`; the legacy `.dockercfg`
 * form (the host map without `auths`) is read too. Keys are matched the way
 * docker does: scheme and path dropped, so `https://index.docker.io/v1/`
 * names `docker.io`. Credential helpers (`credsStore`, `credHelpers`) need
 * programs and are not supported: a host that only has a helper is an error.
 */
import { Secret, type StaticCredentials } from "./secret.js";

const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

export type DockerConfigResult = { credentials: StaticCredentials } | { problem: string };

/** The `auths` map of a docker config (or the whole of a legacy `.dockercfg`), or why there is none. */
function authsOf(text: string): { auths: Record<string, unknown> } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: "not valid JSON (want a docker config.json or a .dockerconfigjson secret)" };
  }
  if (!isRecord(parsed)) return { problem: "not a JSON object" };
  const auths = isRecord(parsed.auths) ? parsed.auths : isLegacyDockerCfg(parsed) ? parsed : undefined;
  return auths === undefined ? { problem: 'no "auths" object' } : { auths };
}

/** One `auths` key (as written: it may carry a path or a `*.` wildcard) and its credentials or why they are unusable. */
export type DockerConfigEntry = { key: string } & DockerConfigResult;

/** Every entry of the file's `auths`, for a keyring (docs/registries.md#pull-secrets); never echoes secrets. */
export function dockerConfigEntries(text: string): { entries: DockerConfigEntry[] } | { problem: string } {
  const found = authsOf(text);
  if ("problem" in found) return found;
  const entries = Object.entries(found.auths).map(([key, entry]): DockerConfigEntry => {
    if (!isRecord(entry)) return { key, problem: `auths[${JSON.stringify(key)}] is not an object` };
    return { key, ...entryCredentials(entry, key) };
  });
  return { entries };
}

/** The credentials for `host` (normalised, as in image references) in the file's text; never echoes secrets. */
export function credentialsFromDockerConfig(text: string, host: string): DockerConfigResult {
  const found = authsOf(text);
  if ("problem" in found) return found;
  const { auths } = found;

  const key = Object.keys(auths).find((k) => dockerConfigHost(k) === host.toLowerCase());
  const entry = key === undefined ? undefined : auths[key];
  if (key === undefined || !isRecord(entry)) {
    const hosts = Object.keys(auths).map(dockerConfigHost).join(", ") || "none";
    return { problem: `no credentials for ${host} (the file has: ${hosts})` };
  }
  return entryCredentials(entry, key);
}

function entryCredentials(entry: Record<string, unknown>, key: string): DockerConfigResult {
  const where = `auths[${JSON.stringify(key)}]`;
  let username = typeof entry.username === "string" ? entry.username : undefined;
  let password = typeof entry.password === "string" ? entry.password : undefined;
  if (typeof entry.auth === "string" && entry.auth !== "") {
    const decoded = decodeAuth(entry.auth);
    if (decoded === undefined) return { problem: `${where}.auth is not base64 of "username:password"` };
    username ??= decoded.username;
    password ??= decoded.password;
  }
  if (typeof entry.identitytoken === "string" && entry.identitytoken !== "") {
    return {
      credentials: { kind: "identity-token", username: username ?? "", token: new Secret(entry.identitytoken) },
    };
  }
  if (username === undefined || username === "" || password === undefined) {
    return {
      problem: `${where} has no username and password (credential helpers, credsStore and credHelpers, are not supported)`,
    };
  }
  return { credentials: { kind: "basic", username, password: new Secret(password) } };
}

/** docker's ConvertToHostname plus Docker Hub aliases: `https://index.docker.io/v1/` → `docker.io`. */
export function dockerConfigHost(key: string): string {
  const host = (key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("/")[0] ?? "").toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? "docker.io" : host;
}

function decodeAuth(auth: string): { username: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(auth.trim())) return undefined;
  const decoded = Buffer.from(auth.trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function isLegacyDockerCfg(value: Record<string, unknown>): boolean {
  const entries = Object.values(value);
  return entries.length > 0 && entries.every((e) => isRecord(e) && ("auth" in e || "username" in e));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
