/**
 * Credentials that depend on the image, not only on its registry host: the
 * cluster's pull secrets (docs/registries.md#pull-secrets) give a repository
 * the credentials of the pods that use it. Precedence, for resolving and for
 * prepull alike: the registries file's `auth` for the host (the operator's
 * explicit choice for the collector), then such a source, then the cloud
 * identity by host name (the collector's own identity, which may reach less
 * than the nodes' pull secrets do), else anonymous.
 */
import type { ImageRef } from "@imagedrift/core";
import type { RegistriesConfig } from "./registry-host.js";
import type { StaticCredentials } from "./secret.js";

export interface TagCredential {
  /** Tells credentials apart (the registry client keeps tokens per key), never their value: `namespace/secret@version key`. */
  key: string;
  /** Names where they come from in messages: `pull secret shop/regcred`. */
  source: string;
  credentials: StaticCredentials;
}

/** The credentials such a source has for `ref`'s repository; never throws (a source that cannot say gives none). */
export type TagCredentialSource = (ref: ImageRef) => Promise<TagCredential | undefined>;

/** The source's credential for `ref` unless the registries file configures credentials for its host. */
export async function tagCredential(
  registries: RegistriesConfig,
  ref: ImageRef,
  source: TagCredentialSource | undefined,
): Promise<TagCredential | undefined> {
  if (source === undefined || registries.hosts.get(ref.host)?.credentials !== undefined) return undefined;
  return source(ref);
}
