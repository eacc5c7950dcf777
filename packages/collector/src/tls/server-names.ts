/**
 * The names the self-signed server certificate carries
 * (docs/ARCHITECTURE.md#agent-collector-tls): the collector Service as
 * agents may dial it, plus the operator's extra names (--tls-names).
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { ImagedriftError } from "@imagedrift/core";

/** Where the kubelet puts the pod's namespace, as in-cluster config reads it. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** The pod's namespace from the service account mount, or null outside a pod. */
export function serviceAccountNamespace(file: string = SERVICE_ACCOUNT_NAMESPACE_FILE): string | null {
  try {
    return readFileSync(file, "utf8").trim() || null;
  } catch {
    return null;
  }
}

const DNS_NAME = /^(?=.{1,253}$)(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `--tls-names`: comma-separated DNS names and IP addresses; throws naming the first that is neither. */
export function parseTlsNames(value: string): string[] {
  const names = value
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  for (const name of names) {
    if (isIP(name) === 0 && !DNS_NAME.test(name)) {
      throw new ImagedriftError("invalid-config", `"${name}" is neither a DNS name nor an IP address`);
    }
  }
  return names;
}

/** `service`, and with a namespace `service.ns`, `service.ns.svc`, `service.ns.svc.cluster.local`; then `extra`. */
export function serverNames(options: {
  service: string;
  namespace: string | null;
  extra: readonly string[];
}): string[] {
  const { service, namespace } = options;
  const own = namespace
    ? [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`]
    : [service];
  return [...new Set([...own, ...options.extra])];
}
