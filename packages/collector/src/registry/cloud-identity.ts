/**
 * Which registries a cloud identity serves, and its credentials per registry.
 * By host: `*.dkr.ecr.*.amazonaws.com` is AWS, `*-docker.pkg.dev` and
 * `gcr.io` (and its regional hosts) are Google, `*.azurecr.io` is Azure.
 * Such a host that the registries file does not configure uses its provider
 * when the collector's environment holds that provider's identity (IRSA or
 * Pod Identity or keys; a Google credential file or metadata host; Azure
 * workload identity). `auth: {provider: …}` in the registries file opts a
 * host in explicitly, whatever its name and environment.
 *
 * One credential cache per provider and what it covers (Google: all hosts;
 * AWS: a region; Azure: a registry), kept across reloads of the registries
 * file, so a reload does not cost an exchange.
 */
import { azureCredentials } from "./acr-credentials.js";
import type { Clock } from "./clock.js";
import type { Fetch } from "./cloud-http.js";
import { ecrCredentials, ecrRegion } from "./ecr-credentials.js";
import { gcpCredentials } from "./gcp-credentials.js";
import type { CloudCredentials, CloudProvider } from "./secret.js";

export type Environment = Readonly<Record<string, string | undefined>>;

export interface CloudIdentityOptions {
  /** The collector's environment (main hands over process.env). */
  env: Environment;
  readFile: (path: string) => Promise<string>;
  clock: Clock;
  fetch?: Fetch;
}

export interface CloudIdentity {
  /** The provider that serves `host` without configuration, when its identity is in the environment. */
  defaultProvider(host: string): CloudProvider | undefined;
  /** The provider's credentials for a registry (`baseUrl`: where its API is; `region`: AWS only). */
  credentials(
    provider: CloudProvider,
    target: { host: string; baseUrl: string; region?: string | undefined },
  ): CloudCredentials;
}

/** The provider a registry host belongs to by its name. */
export function providerOfHost(host: string): CloudProvider | undefined {
  const name = host.toLowerCase();
  if (ecrRegion(name) !== undefined) return "aws";
  if (name.endsWith("-docker.pkg.dev") || name === "gcr.io" || name.endsWith(".gcr.io")) return "gcp";
  if (name.endsWith(".azurecr.io")) return "azure";
  return undefined;
}

/** Which providers' identities the environment holds (instance metadata is not detectable: opt in with auth.provider). */
export function providersInEnvironment(env: Environment): Set<CloudProvider> {
  const set = (name: string) => (env[name] ?? "") !== "";
  const found = new Set<CloudProvider>();
  if (
    set("AWS_WEB_IDENTITY_TOKEN_FILE") ||
    set("AWS_CONTAINER_CREDENTIALS_FULL_URI") ||
    set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
    set("AWS_ACCESS_KEY_ID") ||
    set("AWS_PROFILE")
  ) {
    found.add("aws");
  }
  if (set("GOOGLE_APPLICATION_CREDENTIALS") || set("GCE_METADATA_HOST")) found.add("gcp");
  if (set("AZURE_FEDERATED_TOKEN_FILE") && set("AZURE_CLIENT_ID") && set("AZURE_TENANT_ID")) found.add("azure");
  return found;
}

export function cloudIdentity(options: CloudIdentityOptions): CloudIdentity {
  const present = providersInEnvironment(options.env);
  const caches = new Map<string, CloudCredentials>();
  const make = (provider: CloudProvider, target: { host: string; baseUrl: string; region?: string | undefined }) => {
    const { env, readFile, clock } = options;
    const fetchOption = options.fetch ? { fetch: options.fetch } : {};
    if (provider === "aws") return ecrCredentials({ region: target.region ?? ecrRegion(target.host), clock });
    if (provider === "gcp") return gcpCredentials({ env, readFile, clock, ...fetchOption });
    return azureCredentials({ env, baseUrl: target.baseUrl, readFile, clock, ...fetchOption });
  };
  return {
    defaultProvider: (host) => {
      const provider = providerOfHost(host);
      return provider !== undefined && present.has(provider) ? provider : undefined;
    },
    credentials: (provider, target) => {
      const key =
        provider === "gcp"
          ? "gcp"
          : provider === "aws"
            ? `aws ${target.region ?? ecrRegion(target.host) ?? ""}`
            : `azure ${target.baseUrl}`;
      let credentials = caches.get(key);
      if (credentials === undefined) {
        credentials = make(provider, target);
        caches.set(key, credentials);
      }
      return credentials;
    },
  };
}
