import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeClock } from "./clock.fake.js";
import { cloudIdentity, type Environment, providerOfHost, providersInEnvironment } from "./cloud-identity.js";
import { acrExchangeReply, fakeEntraScript, fakeGcpScript } from "./cloud-providers.fake.js";
import {
  type FakeRequest,
  type FakeServer,
  manifestBody,
  manifestReply,
  type Reply,
  type Script,
  startFakeServer,
} from "./fake-registry.fake.js";
import { parseRegistriesConfig } from "./registries-config.js";
import { TagResolver } from "./resolver.js";

const CANARY = "canary-cloud-9f1e";
const manifest = manifestBody("cloud");
const servers: FakeServer[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagedrift-cloud-"));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function serve(script: Script): Promise<FakeServer> {
  const server = await startFakeServer(script);
  servers.push(server);
  return server;
}

/** A registry whose manifests need `Basic user:password` (ECR's way). */
function basicRegistry(user: string, password: string) {
  const wanted = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  return (r: FakeRequest): Reply =>
    r.headers.authorization === wanted
      ? manifestReply(manifest)
      : { status: 401, headers: { "www-authenticate": 'Basic realm="registry"' } };
}

/**
 * A registry behind token auth: `token` answers the token request (the GET
 * with Basic, or the POST with a refresh token) or refuses it; manifests need
 * the token it minted for their scope.
 */
function bearerRegistry(token: (r: FakeRequest) => boolean, extra?: (r: FakeRequest) => Reply | undefined) {
  let base = "";
  const script = (r: FakeRequest): Reply => {
    const other = extra?.(r);
    if (other) return other;
    if (r.url.pathname === "/oauth2/token") {
      const scope = r.url.searchParams.get("scope") ?? new URLSearchParams(r.body).get("scope");
      if (!token(r)) return { status: 401, body: "{}" };
      return { status: 200, body: JSON.stringify({ access_token: `tok ${scope}`, expires_in: 300 }) };
    }
    const repo = /^\/v2\/(.+)\/manifests\//.exec(r.url.pathname)?.[1];
    if (repo !== undefined && r.headers.authorization === `Bearer tok repository:${repo}:pull`)
      return manifestReply(manifest);
    return {
      status: 401,
      headers: { "www-authenticate": `Bearer realm="${base}/oauth2/token",service="fake-acr"` },
    };
  };
  return { script, setBase: (url: string) => (base = url) };
}

async function registriesFor(host: string, auth: string, env: Environment, clock = new FakeClock(Date.now())) {
  const cloud = cloudIdentity({ env, readFile: (p) => readFile(p, "utf8"), clock });
  // Fast enough for 300 tags: the test counts exchanges, not waits.
  const yaml = `registries:\n  - host: "${host}"\n    requestsPerSecond: 5000\n    maxConcurrentRequests: 16\n    auth: ${auth}\n`;
  return parseRegistriesConfig(yaml, {
    readFile: (p) => readFile(p, "utf8"),
    cloud,
  });
}

function tagsOf(host: string, repos: number, perRepo: number): string[] {
  return Array.from({ length: repos * perRepo }, (_, i) => `${host}/team/app${i % repos}:v${i}`);
}

describe("Artifact Registry / GCR through a Google identity", () => {
  it("metadata server token as oauth2accesstoken; 300 tags in 3 repositories cost 1 token fetch and 3 registry tokens", async () => {
    const accessToken = `ya29.${CANARY}`;
    const metadata = await serve(fakeGcpScript({ accessToken }));
    const basic = `Basic ${Buffer.from(`oauth2accesstoken:${accessToken}`).toString("base64")}`;
    const { script, setBase } = bearerRegistry((r) => r.headers.authorization === basic);
    const registry = await serve(script);
    setBase(registry.url);
    const registries = await registriesFor(registry.host, "{provider: gcp}", { GCE_METADATA_HOST: metadata.host });
    const results = await new TagResolver({ registries, resolveIntervalMs: 60_000 }).resolve(
      tagsOf(registry.host, 3, 100),
    );
    expect([...results.values()].filter((r) => r.state !== "found")).toEqual([]);
    expect(metadata.requests).toHaveLength(1);
    expect(registry.requests.filter((r) => r.url.pathname === "/oauth2/token")).toHaveLength(3);
  });

  it("an external_account file: subject token → STS → service account impersonation", async () => {
    const options = { accessToken: `ya29.sa-${CANARY}`, subjectToken: `oidc-${CANARY}`, federatedToken: "federated-1" };
    const google = await serve(fakeGcpScript(options));
    await writeFile(join(dir, "oidc"), `${options.subjectToken}\n`);
    await writeFile(
      join(dir, "gcp.json"),
      JSON.stringify({
        type: "external_account",
        audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/k8s",
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        token_url: `${google.url}/v1/token`,
        service_account_impersonation_url: `${google.url}/v1/projects/-/serviceAccounts/puller@p.iam.gserviceaccount.com:generateAccessToken`,
        credential_source: { file: join(dir, "oidc") },
      }),
    );
    const registry = await serve(basicRegistry("oauth2accesstoken", options.accessToken));
    const registries = await registriesFor(registry.host, "{provider: gcp}", {
      GOOGLE_APPLICATION_CREDENTIALS: join(dir, "gcp.json"),
    });
    const tag = `${registry.host}/p/repo/app:1`;
    const result = (await new TagResolver({ registries, resolveIntervalMs: 60_000 }).resolve([tag])).get(tag);
    expect(result).toMatchObject({ state: "found", digest: manifest.digest });
  });

  it("renews the access token before it expires, not per request", async () => {
    const clock = new FakeClock(Date.now());
    const metadata = await serve(fakeGcpScript({ accessToken: "ya29.short", expiresInS: 600 }));
    const cloud = cloudIdentity({
      env: { GCE_METADATA_HOST: metadata.host },
      readFile: (p) => readFile(p, "utf8"),
      clock,
    });
    const credentials = cloud.credentials("gcp", {
      host: "europe-docker.pkg.dev",
      baseUrl: "https://europe-docker.pkg.dev",
    });
    await credentials.current();
    await clock.advance(400_000);
    await credentials.current();
    expect(metadata.requests).toHaveLength(1);
    await clock.advance(100_000); // within a fifth of the lifetime of the expiry
    await credentials.current();
    expect(metadata.requests).toHaveLength(2);
  });
});

describe("ACR through Azure workload identity", () => {
  const azure = {
    tenant: "11111111-2222-3333-4444-555555555555",
    clientId: "client-1",
    federatedToken: `k8s-sa-${CANARY}`,
    entraToken: `entra-${CANARY}`,
    refreshToken: `acr-refresh-${CANARY}`,
  };

  async function setup(federated: string) {
    const entra = await serve(fakeEntraScript(azure));
    const { script, setBase } = bearerRegistry(
      (r) => {
        const form = new URLSearchParams(r.body);
        return form.get("grant_type") === "refresh_token" && form.get("refresh_token") === azure.refreshToken;
      },
      (r) => acrExchangeReply(r, azure),
    );
    const registry = await serve(script);
    setBase(registry.url);
    await writeFile(join(dir, "azure-token"), federated);
    const env = {
      AZURE_FEDERATED_TOKEN_FILE: join(dir, "azure-token"),
      AZURE_CLIENT_ID: azure.clientId,
      AZURE_TENANT_ID: azure.tenant,
      AZURE_AUTHORITY_HOST: entra.url,
    };
    return { entra, registry, registries: await registriesFor(registry.host, "{provider: azure}", env) };
  }

  it("federated token → Entra token → /oauth2/exchange → refresh token → the registry's token flow", async () => {
    const { entra, registry, registries } = await setup(azure.federatedToken);
    const results = await new TagResolver({ registries, resolveIntervalMs: 60_000 }).resolve(
      tagsOf(registry.host, 3, 100),
    );
    expect([...results.values()].filter((r) => r.state !== "found")).toEqual([]);
    expect(entra.requests).toHaveLength(1);
    expect(registry.requests.filter((r) => r.url.pathname === "/oauth2/exchange")).toHaveLength(1);
    expect(registry.requests.filter((r) => r.url.pathname === "/oauth2/token")).toHaveLength(3);
  });

  it("a refused federated token leaves the tag unresolved with Entra's reason, never the token", async () => {
    const { registry, registries } = await setup(`stale-${CANARY}`);
    const tag = `${registry.host}/team/app:1`;
    const result = (await new TagResolver({ registries, resolveIntervalMs: 60_000 }).resolve([tag])).get(tag);
    expect(result?.state).toBe("error");
    const error = result?.state === "error" ? result.error : "";
    expect(error).toContain("azure credentials: the Entra ID token endpoint answered 401 (invalid_client");
    expect(error).not.toContain(CANARY);
  });
});

describe("which hosts use a cloud identity without configuration", () => {
  it.each([
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "aws"],
    ["123456789012.dkr-fips.ecr.us-gov-west-1.amazonaws.com", "aws"],
    ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "aws"],
    ["europe-west4-docker.pkg.dev", "gcp"],
    ["gcr.io", "gcp"],
    ["eu.gcr.io", "gcp"],
    ["myregistry.azurecr.io", "azure"],
    ["public.ecr.aws", undefined],
    ["docker.io", undefined],
    ["evil-docker.pkg.dev.example.com", undefined],
  ])("%s → %s", (host, provider) => {
    expect(providerOfHost(host)).toBe(provider);
  });

  it("only when the provider's identity is in the environment", async () => {
    expect([...providersInEnvironment({ AWS_WEB_IDENTITY_TOKEN_FILE: "/t", GCE_METADATA_HOST: "" })]).toEqual(["aws"]);
    const metadata = await serve(fakeGcpScript({ accessToken: "ya29.default" }));
    const registries = await parseRegistriesConfig("registries: []", {
      readFile: (p) => readFile(p, "utf8"),
      cloud: cloudIdentity({
        env: { GCE_METADATA_HOST: metadata.host },
        readFile: (p) => readFile(p, "utf8"),
        clock: new FakeClock(Date.now()),
      }),
    });
    const { hostConfig } = await import("./registry-host.js");
    expect(hostConfig(registries, "europe-docker.pkg.dev").credentials).toMatchObject({
      kind: "cloud",
      provider: "gcp",
    });
    expect(hostConfig(registries, "123456789012.dkr.ecr.eu-west-1.amazonaws.com").credentials).toBeUndefined();
  });

  it("auth.provider is checked in the registries file", async () => {
    const parse = (auth: string) =>
      parseRegistriesConfig(`registries:\n  - host: r.example\n    auth: ${auth}\n`, {
        readFile: (p) => readFile(p, "utf8"),
        cloud: cloudIdentity({ env: {}, readFile: (p) => readFile(p, "utf8"), clock: new FakeClock(Date.now()) }),
      });
    await expect(parse("{provider: ibm}")).rejects.toThrow("registries[0].auth.provider: must be aws, gcp or azure");
    await expect(parse("{provider: gcp, region: eu-west-1}")).rejects.toThrow(
      "registries[0].auth.region: only with provider: aws",
    );
    await expect(parse("{provider: aws, username: u, passwordFile: p}")).rejects.toThrow(
      "registries[0].auth: provider takes no dockerConfigJson, username or passwordFile",
    );
  });
});
