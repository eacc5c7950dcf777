/**
 * Azure Container Registry through Azure workload identity, as `az acr login`
 * does it: the federated token file (`AZURE_FEDERATED_TOKEN_FILE`) is the
 * client assertion for an Entra ID token (client credentials grant, scope
 * containerregistry.azure.net); the registry's challenge names its token
 * realm, and `POST <realm origin>/oauth2/exchange` turns the Entra token into
 * an ACR refresh token. That refresh token is a docker identity token
 * (username 00000000-0000-0000-0000-000000000000): the registry's usual token
 * flow takes it from there, and a pulling agent gets it as CRI's
 * `identityToken`.
 *
 * Not covered: client secrets and certificates, managed identity through
 * IMDS, and the Azure CLI's credentials.
 */
import { isLoopbackHost } from "@imagedrift/core";
import type { Clock } from "./clock.js";
import { CachedCloudCredentials, type ExpiringCredentials, providerError } from "./cloud-credentials.js";
import { type Fetch, requestJson, stringField } from "./cloud-http.js";
import { Secret } from "./secret.js";
import { parseWwwAuthenticate } from "./www-authenticate.js";

export interface AzureEnvironment {
  AZURE_FEDERATED_TOKEN_FILE?: string | undefined;
  AZURE_CLIENT_ID?: string | undefined;
  AZURE_TENANT_ID?: string | undefined;
  AZURE_AUTHORITY_HOST?: string | undefined;
}

export interface AzureOptions {
  env: AzureEnvironment;
  /** The registry's API base URL (`https://myreg.azurecr.io`), whose `/v2/` challenge names the realm. */
  baseUrl: string;
  readFile: (path: string) => Promise<string>;
  clock: Clock;
  fetch?: Fetch;
}

export const ACR_USERNAME = "00000000-0000-0000-0000-000000000000";
const SCOPE = "https://containerregistry.azure.net/.default";
const DEFAULT_AUTHORITY = "https://login.microsoftonline.com/";
/** ACR's refresh tokens last about 3 h; when one does not say, it is renewed well before. */
const FALLBACK_LIFETIME_MS = 60 * 60_000;
const where = (step: string) => ({ provider: "azure" as const, step });

export function azureCredentials(options: AzureOptions): CachedCloudCredentials {
  const fetchFn = options.fetch ?? fetch;
  const exchange = async (): Promise<ExpiringCredentials> => {
    const { tenant, entraToken } = await entraAccessToken(options, fetchFn);
    const challenge = await registryChallenge(options.baseUrl, fetchFn);
    const step = "the registry's /oauth2/exchange";
    const body = await requestJson(fetchFn, {
      ...where(step),
      url: new URL("/oauth2/exchange", challenge.realm).href,
      form: { grant_type: "access_token", service: challenge.service, tenant, access_token: entraToken },
    });
    const refresh = stringField(body, "refresh_token", where(step));
    return {
      credentials: { kind: "identity-token", username: ACR_USERNAME, token: new Secret(refresh) },
      expiresAt: jwtExpiry(refresh) ?? options.clock.now() + FALLBACK_LIFETIME_MS,
    };
  };
  return new CachedCloudCredentials("azure", exchange, options.clock);
}

async function entraAccessToken(
  options: AzureOptions,
  fetchFn: Fetch,
): Promise<{ tenant: string; entraToken: string }> {
  const { AZURE_FEDERATED_TOKEN_FILE: file, AZURE_CLIENT_ID: client, AZURE_TENANT_ID: tenant } = options.env;
  if (!file || !client || !tenant) {
    throw providerError(
      "azure",
      "workload identity needs AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID in the collector's environment",
    );
  }
  let assertion: string;
  try {
    assertion = (await options.readFile(file)).trim();
  } catch (error) {
    throw providerError("azure", `cannot read AZURE_FEDERATED_TOKEN_FILE ${file}`, error);
  }
  const authority = options.env.AZURE_AUTHORITY_HOST || DEFAULT_AUTHORITY;
  const step = "the Entra ID token endpoint";
  const body = await requestJson(fetchFn, {
    ...where(step),
    url: new URL(
      `${encodeURIComponent(tenant)}/oauth2/v2.0/token`,
      authority.endsWith("/") ? authority : `${authority}/`,
    ).href,
    form: {
      client_id: client,
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope: SCOPE,
    },
  });
  return { tenant, entraToken: stringField(body, "access_token", where(step)) };
}

/** The Bearer realm and service of the registry's `/v2/` challenge. */
async function registryChallenge(baseUrl: string, fetchFn: Fetch): Promise<{ realm: string; service: string }> {
  const step = `the registry's challenge (${baseUrl}/v2/)`;
  let res: Response;
  try {
    res = await fetchFn(`${baseUrl}/v2/`, { redirect: "error", signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
  } catch (error) {
    throw providerError("azure", `cannot reach ${step}`, error);
  }
  const bearer = parseWwwAuthenticate(res.headers.get("www-authenticate") ?? "").find((c) => c.scheme === "bearer");
  const realm = bearer?.params.realm;
  if (bearer === undefined || realm === undefined || !URL.canParse(realm)) {
    throw providerError("azure", `${step} answered ${res.status} without a Bearer realm`);
  }
  const url = new URL(realm);
  if (url.protocol !== "https:" && !isLoopbackHost(url.host)) {
    throw providerError("azure", `${step} names a plain-HTTP realm ${url.origin}; not sending an Entra token there`);
  }
  return { realm, service: bearer.params.service ?? new URL(baseUrl).host };
}

/** The `exp` of a JWT, in ms; undefined when the token is not one. */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
