/**
 * Credentials for private registries travel only to the agent that pulls
 * (docs/ARCHITECTURE.md#jobs): attached to a pull command right before it is sent, picked for
 * each reference as the resolver picks them (docs/registries.md: the registries file, then
 * the cluster's pull secrets, then the cloud identity). The plan in SQLite, API responses
 * and logs never see them.
 */
import { type CommandSpec, type PullItem, registryApiHost, tryParseImageRef } from "@imagedrift/core";
import { hostConfig, type RegistriesConfig } from "../registry/registry-host.js";
import { currentCredentials, type StaticCredentials } from "../registry/secret.js";
import { type TagCredentialSource, tagCredential } from "../registry/tag-credentials.js";

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

/**
 * The CRI AuthConfig for `ref`'s registry host, or undefined when it has no
 * credentials: configured ones, a pull secret's (`tagCredentials`), or its
 * cloud identity's current ones (an ECR password, a Google access token, an
 * ACR refresh token). When the cloud exchange fails the pull goes without:
 * the registry's refusal then fails it at once, as for any refused credential.
 */
export async function pullAuth(
  registries: RegistriesConfig,
  ref: string,
  tagCredentials?: TagCredentialSource,
): Promise<PullAuth | undefined> {
  const parsed = tryParseImageRef(ref);
  if (parsed === null) return undefined;
  const host = parsed.host;
  let credentials: StaticCredentials | undefined;
  try {
    const fromTag = await tagCredential(registries, parsed, tagCredentials);
    credentials = fromTag?.credentials ?? (await currentCredentials(hostConfig(registries, host).credentials));
  } catch {
    return undefined;
  }
  if (credentials === undefined) return undefined;
  const username = credentials.username ? { username: credentials.username } : {};
  if (credentials.kind === "basic") {
    return { ...username, password: credentials.password.reveal(), serverAddress: criServerAddress(host) };
  }
  // No username with an identity token: containerd's CRI takes username + password whenever a username is set,
  // and would ask the token server anonymously (docs/registries.md#cloud-identities).
  return { identityToken: credentials.token.reveal(), serverAddress: criServerAddress(host) };
}

/** The spec with `auth` on each pull item whose host has credentials; other specs unchanged. */
export async function withCredentials(
  spec: CommandSpec,
  registries: RegistriesConfig,
  tagCredentials?: TagCredentialSource,
): Promise<CommandSpec> {
  if (spec.type !== "pull") return spec;
  const images = await Promise.all(
    spec.images.map(async (item) => {
      const auth = await pullAuth(registries, item.ref, tagCredentials);
      return auth ? { ...item, auth } : item;
    }),
  );
  return { ...spec, images };
}
