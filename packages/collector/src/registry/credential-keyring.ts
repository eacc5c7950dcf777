/**
 * Which of a set of docker-config credentials serve an image, the way
 * kubelet's credential keyring decides it (docs/registries.md#pull-secrets):
 *
 * - a key loses its scheme and a leading `/v1/` or `/v2/`: `https://r.example.com/v1/` is `r.example.com`;
 *   Docker Hub's names (`index.docker.io`, `registry-1.docker.io`, …) are `docker.io`, as image references write it;
 * - a key matches `host/repository` when the port is the same, the host has as
 *   many dot-separated labels and each label matches (`*` and `?` are
 *   wildcards within one label: `*.example.com` covers `a.example.com`, not
 *   `a.b.example.com` nor `example.com`), and the key's path is a prefix of
 *   the repository's (a text prefix, as kubelet's: `r.io/team` covers `r.io/team-b/app` too);
 * - matches come most specific first: keys in reverse lexicographic order
 *   (`r.io/team/app` before `r.io/team` before `r.io`), then in the order given.
 */
import { dockerConfigHost } from "./docker-config.js";
import type { StaticCredentials } from "./secret.js";

export interface KeyringEntry {
  /** The normalised key (`keyringKey`). */
  key: string;
  credentials: StaticCredentials;
}

/** A docker-config `auths` key as kubelet's keyring files it: host (lowercase) and path, no scheme, no `/v1/`. */
export function keyringKey(raw: string): string {
  const rest = raw.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = rest.indexOf("/");
  const host = dockerConfigHost(slash < 0 ? rest : rest.slice(0, slash));
  let path = slash < 0 ? "" : rest.slice(slash);
  if (path.startsWith("/v1/") || path.startsWith("/v2/")) path = path.slice(3);
  return path === "" || path === "/" ? host : `${host}${path}`;
}

/** Whether the (normalised) key covers `image`, written `host/repository`. */
export function keyMatches(key: string, image: string): boolean {
  const [keyHost, keyPath] = splitHostPath(key);
  const [imageHost, imagePath] = splitHostPath(image);
  const [keyName, keyPort] = splitPort(keyHost);
  const [imageName, imagePort] = splitPort(imageHost);
  if (keyPort !== imagePort || !imagePath.startsWith(keyPath)) return false;
  const keyLabels = keyName.split(".");
  const imageLabels = imageName.toLowerCase().split(".");
  if (keyLabels.length !== imageLabels.length) return false;
  return keyLabels.every((label, i) => labelPattern(label).test(imageLabels[i] ?? ""));
}

/** The entries that cover `image` (`host/repository`), most specific first; equal keys keep their order. */
export function lookupKeyring<T extends KeyringEntry>(entries: readonly T[], image: string): T[] {
  return entries
    .map((entry, order) => ({ entry, order }))
    .filter(({ entry }) => keyMatches(entry.key, image))
    .sort((a, b) => (a.entry.key === b.entry.key ? a.order - b.order : a.entry.key < b.entry.key ? 1 : -1))
    .map(({ entry }) => entry);
}

function splitHostPath(value: string): [string, string] {
  const slash = value.indexOf("/");
  return slash < 0 ? [value, ""] : [value.slice(0, slash), value.slice(slash)];
}

/** `host:port` → [host, port]; a bracketed IPv6 address keeps its brackets. */
function splitPort(host: string): [string, string] {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  return [match?.[1] ?? host, match?.[2] ?? ""];
}

function labelPattern(label: string): RegExp {
  const source = label
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[^.]*")
    .replace(/\?/g, "[^.]");
  return new RegExp(`^${source}$`);
}
