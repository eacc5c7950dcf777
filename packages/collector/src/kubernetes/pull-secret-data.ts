/**
 * A Kubernetes pull Secret's data as keyring entries (docs/registries.md#pull-secrets):
 * `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`) and the legacy
 * `kubernetes.io/dockercfg` (`.dockercfg`), the two types kubelet reads, each
 * by its type as kubelet does. Problems name the Secret and what is wrong,
 * never a value from its data.
 */
import type { KeyringEntry } from "../registry/credential-keyring.js";
import { keyringKey } from "../registry/credential-keyring.js";
import { dockerConfigEntries } from "../registry/docker-config.js";

/** What the collector reads of a Secret (its data values base64, as the API gives them). */
export interface PullSecretObject {
  type: string;
  data: Readonly<Record<string, string>>;
  resourceVersion: string;
}

export const DOCKER_CONFIG_JSON_TYPE = "kubernetes.io/dockerconfigjson";
export const DOCKER_CFG_TYPE = "kubernetes.io/dockercfg";

const DATA_KEY: Readonly<Record<string, string>> = {
  [DOCKER_CONFIG_JSON_TYPE]: ".dockerconfigjson",
  [DOCKER_CFG_TYPE]: ".dockercfg",
};

export type PullSecretEntries = { entries: KeyringEntry[]; problems: string[] } | { problem: string };

/** The keyring entries of `secret` (named `namespace/name` in problems); entries that cannot be used are problems. */
export function pullSecretEntries(secret: PullSecretObject, name: string): PullSecretEntries {
  const dataKey = DATA_KEY[secret.type];
  if (dataKey === undefined) {
    const type = JSON.stringify(secret.type.slice(0, 100));
    return { problem: `secret ${name} has type ${type}, not ${DOCKER_CONFIG_JSON_TYPE} or ${DOCKER_CFG_TYPE}` };
  }
  const encoded = secret.data[dataKey];
  if (encoded === undefined || encoded === "") return { problem: `secret ${name} has no ${dataKey} in its data` };
  if (!/^[A-Za-z0-9+/]*=*$/.test(encoded.replace(/\s/g, ""))) {
    return { problem: `secret ${name}: ${dataKey} is not base64` };
  }
  const text = Buffer.from(encoded, "base64").toString("utf8");
  const parsed = dockerConfigEntries(dataKey === ".dockercfg" ? `{"auths":${text}}` : text);
  if ("problem" in parsed) return { problem: `secret ${name}: ${dataKey}: ${parsed.problem}` };
  const entries: KeyringEntry[] = [];
  const problems: string[] = [];
  for (const entry of parsed.entries) {
    if ("problem" in entry) problems.push(`secret ${name}: ${dataKey}: ${entry.problem}`);
    else entries.push({ key: keyringKey(entry.key), credentials: entry.credentials });
  }
  if (entries.length === 0 && problems.length === 0) return { problem: `secret ${name}: ${dataKey} names no registry` };
  return { entries, problems };
}
