/**
 * Credentials for private registries travel only to the agent that pulls
 * (docs/ARCHITECTURE.md#jobs): attached to a pull command right before it is sent, picked by
 * the registry host of each reference. The plan in SQLite, API responses and
 * logs never see them.
 */
import { type CommandSpec, type PullItem, registryApiHost, tryParseImageRef } from "@imagedrift/core";
import type { RegistriesConfig } from "../registry/registry-host.js";

type PullAuth = NonNullable<PullItem["auth"]>;

/**
 * `server_address` as containerd's CRI checks it: it parses the value as a URL
 * and passes the credentials only when the URL's host equals the host it is
 * contacting (`registry-1.docker.io` for docker.io). A bare `host:port` fails
 * that parse and a bare hostname parses as a path, so both would lose the
 * credentials: send a URL. (A containerd mirror for the host changes the host
 * it contacts; credentials for a mirror belong in containerd's own config.)
 */
export function criServerAddress(host: string): string {
  return `https://${registryApiHost(host)}`;
}

/** The CRI AuthConfig for `ref`'s registry host, or undefined when the config has no credentials for it. */
export function pullAuth(registries: RegistriesConfig, ref: string): PullAuth | undefined {
  const host = tryParseImageRef(ref)?.host;
  const credentials = host === undefined ? undefined : registries.hosts.get(host)?.credentials;
  if (host === undefined || credentials === undefined) return undefined;
  const username = credentials.username ? { username: credentials.username } : {};
  if (credentials.kind === "basic") {
    return { ...username, password: credentials.password.reveal(), serverAddress: criServerAddress(host) };
  }
  return { ...username, identityToken: credentials.token.reveal(), serverAddress: criServerAddress(host) };
}

/** The spec with `auth` on each pull item whose host has credentials; other specs unchanged. */
export function withCredentials(spec: CommandSpec, registries: RegistriesConfig): CommandSpec {
  if (spec.type !== "pull") return spec;
  return {
    ...spec,
    images: spec.images.map((item) => {
      const auth = pullAuth(registries, item.ref);
      return auth ? { ...item, auth } : item;
    }),
  };
}
