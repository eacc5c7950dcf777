/**
 * How to reach one registry: what `--registries-config` says about a host, or
 * the defaults for a host it does not name. Loopback registries (`localhost`,
 * 127.0.0.0/8, `[::1]`) are spoken to over plain HTTP without configuration,
 * as Docker does; every other host over HTTPS unless `insecure`.
 */
import { isLoopbackHost, registryApiHost } from "@imagedrift/core";
import type { CloudIdentity } from "./cloud-identity.js";
import { DEFAULT_MAX_CONCURRENT, DEFAULT_REQUESTS_PER_SECOND } from "./rate-limit.js";
import type { RegistryCredentials } from "./secret.js";

export interface RegistryHostConfig {
  /** The host as image references write it, normalised: `docker.io`, `127.0.0.1:5000`. */
  host: string;
  /**
   * Where API requests go, without trailing `/` and without `/v2`:
   * `https://registry-1.docker.io`, `http://127.0.0.1:5000`, or the mirror.
   */
  baseUrl: string;
  /** `baseUrl` is a mirror: requests carry `?ns=<host>`, as containerd sends them. */
  mirror: boolean;
  /** Plain HTTP to the registry itself. */
  insecure: boolean;
  /** PEM certificate(s) to trust for this registry, besides the system's. */
  ca: string | undefined;
  requestsPerSecond: number;
  maxConcurrentRequests: number;
  credentials: RegistryCredentials | undefined;
  /** Where `credentials` come from when not the registries file or a cloud identity: `pull secret shop/regcred`. */
  credentialSource?: string | undefined;
}

export interface RegistriesConfig {
  /** The configured hosts, by normalised host. */
  readonly hosts: ReadonlyMap<string, RegistryHostConfig>;
  /** Cloud identities for hosts the file does not configure (ECR, Artifact Registry, ACR by name). */
  readonly cloud?: CloudIdentity | undefined;
}

/** No `--registries-config`: every host gets the defaults. */
export const emptyRegistriesConfig: RegistriesConfig = { hosts: new Map() };

export function defaultHostConfig(host: string): RegistryHostConfig {
  const insecure = isLoopbackHost(host);
  return {
    host,
    baseUrl: `${insecure ? "http" : "https"}://${registryApiHost(host)}`,
    mirror: false,
    insecure,
    ca: undefined,
    requestsPerSecond: DEFAULT_REQUESTS_PER_SECOND,
    maxConcurrentRequests: DEFAULT_MAX_CONCURRENT,
    credentials: undefined,
  };
}

/** The configuration for `host` (normalised), the defaults when it is not configured. */
export function hostConfig(config: RegistriesConfig, host: string): RegistryHostConfig {
  const configured = config.hosts.get(host);
  if (configured !== undefined) return configured;
  const defaults = defaultHostConfig(host);
  const provider = config.cloud?.defaultProvider(host);
  if (provider === undefined || config.cloud === undefined) return defaults;
  return { ...defaults, credentials: config.cloud.credentials(provider, { host, baseUrl: defaults.baseUrl }) };
}
