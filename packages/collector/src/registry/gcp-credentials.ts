/**
 * Artifact Registry and GCR through a Google identity: an OAuth2 access token
 * sent as Basic `oauth2accesstoken:<token>`, as `gcloud auth
 * configure-docker` does. Two sources:
 *
 * - a credential file (`GOOGLE_APPLICATION_CREDENTIALS`) of type
 *   `external_account` (workload identity federation) with a `file`
 *   credential_source: the subject token is exchanged at the file's
 *   `token_url` (Google STS, RFC 8693), then, when the file names
 *   `service_account_impersonation_url`, for that service account's token;
 * - otherwise the metadata server (GKE Workload Identity, GCE), at
 *   `GCE_METADATA_HOST` or metadata.google.internal.
 *
 * Not covered: `service_account` key files, `url`/`executable` credential
 * sources, and gcloud's user credentials.
 */
import type { Clock } from "./clock.js";
import { CachedCloudCredentials, type ExpiringCredentials, providerError } from "./cloud-credentials.js";
import { expiryFrom, type Fetch, requestJson, stringField } from "./cloud-http.js";
import { Secret } from "./secret.js";

export interface GcpEnvironment {
  GCE_METADATA_HOST?: string | undefined;
  GOOGLE_APPLICATION_CREDENTIALS?: string | undefined;
}

export interface GcpOptions {
  env: GcpEnvironment;
  readFile: (path: string) => Promise<string>;
  clock: Clock;
  fetch?: Fetch;
}

const SCOPE = "https://www.googleapis.com/auth/cloud-platform";
const USERNAME = "oauth2accesstoken";
const where = (step: string) => ({ provider: "gcp" as const, step });

export function gcpCredentials(options: GcpOptions): CachedCloudCredentials {
  const fetchFn = options.fetch ?? fetch;
  const file = options.env.GOOGLE_APPLICATION_CREDENTIALS;
  const exchange = async (): Promise<ExpiringCredentials> => {
    const token =
      file !== undefined && file !== ""
        ? await federatedToken(file, options, fetchFn)
        : await metadataToken(options, fetchFn);
    return {
      credentials: { kind: "basic", username: USERNAME, password: new Secret(token.accessToken) },
      expiresAt: token.expiresAt,
    };
  };
  return new CachedCloudCredentials("gcp", exchange, options.clock);
}

interface AccessToken {
  accessToken: string;
  expiresAt: number;
}

async function metadataToken(options: GcpOptions, fetchFn: Fetch): Promise<AccessToken> {
  const host = options.env.GCE_METADATA_HOST || "metadata.google.internal";
  const step = "the metadata server's token endpoint";
  const body = await requestJson(fetchFn, {
    ...where(step),
    url: `http://${host}/computeMetadata/v1/instance/service-accounts/default/token`,
    headers: { "metadata-flavor": "Google" },
  });
  return {
    accessToken: stringField(body, "access_token", where(step)),
    expiresAt: expiryFrom(body, options.clock.now(), 300),
  };
}

interface ExternalAccount {
  type?: unknown;
  audience?: unknown;
  subject_token_type?: unknown;
  token_url?: unknown;
  service_account_impersonation_url?: unknown;
  credential_source?: { file?: unknown; format?: { type?: unknown; subject_token_field_name?: unknown } };
}

async function federatedToken(path: string, options: GcpOptions, fetchFn: Fetch): Promise<AccessToken> {
  const account = await readJson<ExternalAccount>(path, options.readFile, "GOOGLE_APPLICATION_CREDENTIALS");
  if (account.type !== "external_account") {
    throw providerError(
      "gcp",
      `${path}: type ${JSON.stringify(account.type)} is not supported (want external_account)`,
    );
  }
  const source = account.credential_source?.file;
  if (typeof source !== "string" || typeof account.token_url !== "string" || typeof account.audience !== "string") {
    throw providerError("gcp", `${path}: needs audience, token_url and a credential_source.file`);
  }
  const subject = await subjectToken(source, account, options.readFile);
  const step = "the token exchange (STS)";
  const sts = await requestJson(fetchFn, {
    ...where(step),
    url: account.token_url,
    form: {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      audience: account.audience,
      scope: SCOPE,
      requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
      subject_token_type:
        typeof account.subject_token_type === "string"
          ? account.subject_token_type
          : "urn:ietf:params:oauth:token-type:jwt",
      subject_token: subject,
    },
  });
  const federated = stringField(sts, "access_token", where(step));
  const impersonate = account.service_account_impersonation_url;
  if (typeof impersonate !== "string") {
    return { accessToken: federated, expiresAt: expiryFrom(sts, options.clock.now(), 3600) };
  }
  const iamStep = "the service account impersonation (IAM credentials)";
  const iam = await requestJson(fetchFn, {
    ...where(iamStep),
    url: impersonate,
    headers: { authorization: `Bearer ${federated}` },
    json: { scope: [SCOPE], lifetime: "3600s" },
  });
  const expires = Date.parse(String(iam.expireTime));
  return {
    accessToken: stringField(iam, "accessToken", where(iamStep)),
    expiresAt: Number.isFinite(expires) ? expires : options.clock.now() + 3600_000,
  };
}

async function subjectToken(path: string, account: ExternalAccount, readFile: GcpOptions["readFile"]): Promise<string> {
  const format = account.credential_source?.format;
  let token: unknown;
  if (format?.type === "json") {
    const field = typeof format.subject_token_field_name === "string" ? format.subject_token_field_name : "";
    token = (await readJson<Record<string, unknown>>(path, readFile, "credential_source.file"))[field];
  } else {
    token = (await readSource(path, readFile, "credential_source.file")).trim();
  }
  if (typeof token !== "string" || token === "")
    throw providerError("gcp", `credential_source.file ${path}: no token in it`);
  return token;
}

async function readJson<T>(path: string, readFile: GcpOptions["readFile"], what: string): Promise<T> {
  const text = await readSource(path, readFile, what);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw providerError("gcp", `${what} ${path} is not JSON`);
  }
}

async function readSource(path: string, readFile: GcpOptions["readFile"], what: string): Promise<string> {
  try {
    return await readFile(path);
  } catch (error) {
    throw providerError("gcp", `cannot read ${what} ${path}`, error);
  }
}
