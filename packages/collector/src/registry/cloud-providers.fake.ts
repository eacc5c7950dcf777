/**
 * Cloud identity servers on 127.0.0.1 for tests, speaking the providers'
 * documented HTTP APIs, reached through the SDKs' and libraries' own endpoint
 * settings (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_ECR`,
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI`, `GCE_METADATA_HOST`, a credential
 * file's `token_url`, `AZURE_AUTHORITY_HOST`). Each checks what a real one
 * checks (the web identity token, SigV4's access key, Metadata-Flavor, the
 * client assertion) and refuses the rest.
 */
import type { FakeRequest, Reply, Script } from "./fake-registry.fake.js";

const json = (status: number, body: unknown): Reply => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

export interface FakeAwsOptions {
  webIdentityToken: string;
  roleArn: string;
  /** The key STS (or Pod Identity) issues; ECR accepts only requests signed with it. */
  accessKeyId: string;
  /** What GetAuthorizationToken hands out, as `AWS:<ecrPassword>`. */
  ecrPassword: string;
  /** Pod Identity's agent: the Authorization its token file holds. */
  podIdentityToken?: string;
  /** Seconds until the ECR token expires (12 h by default). */
  ecrLifetimeS?: number;
}

/** STS AssumeRoleWithWebIdentity (query protocol, XML), ECR GetAuthorizationToken (JSON 1.1), Pod Identity (GET JSON). */
export function fakeAwsScript(options: FakeAwsOptions, clock: () => number = Date.now): Script {
  return (request: FakeRequest): Reply => {
    const target = String(request.headers["x-amz-target"] ?? "");
    if (target === "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken") {
      const signedWith = /Credential=([^/]+)\//.exec(String(request.headers.authorization ?? ""))?.[1];
      if (signedWith !== options.accessKeyId) {
        return json(400, {
          __type: "UnrecognizedClientException",
          message: "The security token included in the request is invalid.",
        });
      }
      const expiresAt = (clock() + (options.ecrLifetimeS ?? 12 * 3600) * 1000) / 1000;
      const authorizationToken = Buffer.from(`AWS:${options.ecrPassword}`).toString("base64");
      return json(200, {
        authorizationData: [{ authorizationToken, expiresAt, proxyEndpoint: "https://ecr.example" }],
      });
    }
    if (request.method === "GET" && request.url.pathname === "/pod-identity") {
      if (request.headers.authorization !== options.podIdentityToken) return json(401, { message: "bad token" });
      const expiration = new Date(clock() + 3600_000).toISOString();
      return json(200, {
        AccessKeyId: options.accessKeyId,
        SecretAccessKey: "fake-secret-access-key",
        Token: "fake-session-token",
        AccountId: "123456789012",
        Expiration: expiration,
      });
    }
    const form = new URLSearchParams(request.body);
    if (form.get("Action") === "AssumeRoleWithWebIdentity") {
      if (form.get("WebIdentityToken") !== options.webIdentityToken || form.get("RoleArn") !== options.roleArn) {
        return {
          status: 400,
          headers: { "content-type": "text/xml" },
          body: "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error></ErrorResponse>",
        };
      }
      return { status: 200, headers: { "content-type": "text/xml" }, body: stsAnswer(options.accessKeyId, clock()) };
    }
    return json(404, { message: `no route ${request.method} ${request.path}` });
  };
}

function stsAnswer(accessKeyId: string, now: number): string {
  return `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:imagedrift:collector</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/imagedrift/collector</Arn>
      <AssumedRoleId>AROAEXAMPLE:collector</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${accessKeyId}</AccessKeyId>
      <SecretAccessKey>fake-secret-access-key</SecretAccessKey>
      <SessionToken>fake-session-token</SessionToken>
      <Expiration>${new Date(now + 3600_000).toISOString()}</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`;
}

export interface FakeGcpOptions {
  /** The token the metadata server, or the impersonation, hands out. */
  accessToken: string;
  expiresInS?: number;
  /** Federation: the subject token STS accepts, and the federated token it gives. */
  subjectToken?: string;
  federatedToken?: string;
}

/** The GCE/GKE metadata server's token endpoint, Google STS's /v1/token and IAM credentials' generateAccessToken. */
export function fakeGcpScript(options: FakeGcpOptions): Script {
  return (request: FakeRequest): Reply => {
    const path = request.url.pathname;
    if (path === "/computeMetadata/v1/instance/service-accounts/default/token") {
      if (request.headers["metadata-flavor"] !== "Google") return { status: 403, body: "Missing Metadata-Flavor" };
      return json(200, {
        access_token: options.accessToken,
        expires_in: options.expiresInS ?? 3599,
        token_type: "Bearer",
      });
    }
    if (path === "/v1/token" && request.method === "POST") {
      const form = new URLSearchParams(request.body);
      if (form.get("subject_token") !== options.subjectToken || !form.get("audience")) {
        return json(400, { error: "invalid_grant", error_description: "The subject token is invalid." });
      }
      return json(200, {
        access_token: options.federatedToken,
        issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
        token_type: "Bearer",
        expires_in: 3600,
      });
    }
    if (path.endsWith(":generateAccessToken") && request.method === "POST") {
      if (request.headers.authorization !== `Bearer ${options.federatedToken}`) {
        return json(401, { error: { code: 401, message: "Request had invalid authentication credentials." } });
      }
      return json(200, { accessToken: options.accessToken, expireTime: new Date(Date.now() + 3600_000).toISOString() });
    }
    return json(404, { error: "not_found" });
  };
}

export interface FakeEntraOptions {
  tenant: string;
  clientId: string;
  /** The federated token (the service account token in AZURE_FEDERATED_TOKEN_FILE) it accepts as client assertion. */
  federatedToken: string;
  /** The Entra access token it gives. */
  entraToken: string;
}

/** Entra ID's v2.0 token endpoint (client credentials with a federated client assertion). */
export function fakeEntraScript(options: FakeEntraOptions): Script {
  return (request: FakeRequest): Reply => {
    if (request.method !== "POST" || request.url.pathname !== `/${options.tenant}/oauth2/v2.0/token`) {
      return json(404, { error: "invalid_request", error_description: "AADSTS90002: Tenant not found." });
    }
    const form = new URLSearchParams(request.body);
    if (
      form.get("client_id") !== options.clientId ||
      form.get("client_assertion") !== options.federatedToken ||
      form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
      form.get("grant_type") !== "client_credentials"
    ) {
      return json(401, {
        error: "invalid_client",
        error_description: "AADSTS700211: No matching federated identity record found.",
      });
    }
    return json(200, {
      token_type: "Bearer",
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: options.entraToken,
    });
  };
}

export interface FakeAcrExchangeOptions {
  tenant: string;
  entraToken: string;
  /** The refresh token it gives for the Entra token. */
  refreshToken: string;
}

/** ACR's `POST /oauth2/exchange` (grant_type=access_token); undefined for other requests. */
export function acrExchangeReply(request: FakeRequest, options: FakeAcrExchangeOptions): Reply | undefined {
  if (request.method !== "POST" || request.url.pathname !== "/oauth2/exchange") return undefined;
  const form = new URLSearchParams(request.body);
  if (
    form.get("grant_type") !== "access_token" ||
    form.get("access_token") !== options.entraToken ||
    form.get("tenant") !== options.tenant ||
    !form.get("service")
  ) {
    return json(401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] });
  }
  return json(200, { refresh_token: options.refreshToken });
}
