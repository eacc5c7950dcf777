/**
 * Cloud identities end to end: the BUILT collector, with `auth: {provider: …}`
 * in its registries file, gets each provider's credential from servers on
 * 127.0.0.1 that speak the provider's API (cloud-providers.fake.ts, reached
 * through the SDKs' own endpoint settings) and uses it with the lab's real
 * docker-registry, which accepts nothing else:
 *
 * - ECR: IRSA (web identity token file → STS → GetAuthorizationToken), Basic
 *   `AWS:<password>` straight at the registry (htpasswd), as ECR does;
 * - Artifact Registry: the GKE metadata server's access token, as
 *   `oauth2accesstoken:<token>` at the registry's token server;
 * - ACR: workload identity (federated token file → Entra ID token) exchanged
 *   at `/oauth2/exchange` on the registry's own host (acr-front.ts) for a
 *   refresh token, the only credential its token server accepts.
 *
 * Each private tag is pulled onto a lab node by a prepull job through a real
 * agent (the collector hands the exchanged credential to it) and then shows as
 * resolved. A second collector with wrong provider credentials leaves the held
 * tags unresolved with the auth reason and fails prepulls at once. No secret
 * appears in logs, databases or API answers. Last, the token-request cost of a
 * cold resolve of 300 private tags.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACR_USERNAME } from "../../packages/collector/src/registry/acr-credentials.js";
import { cloudIdentity } from "../../packages/collector/src/registry/cloud-identity.js";
import {
  fakeAwsScript,
  fakeEntraScript,
  fakeGcpScript,
} from "../../packages/collector/src/registry/cloud-providers.fake.js";
import { type FakeServer, startFakeServer } from "../../packages/collector/src/registry/fake-registry.fake.js";
import { parseRegistriesConfig, systemClock, TagResolver } from "../../packages/collector/src/registry/index.js";
import { waitForTag } from "../collector/api.js";
import { createJob, finishedJob } from "../jobs/jobs-api.js";
import { buildOciImage, type Lab, pushImage, type Registry, startLab, startRegistry } from "../lab/index.js";
import type { Collector } from "../scenario/processes.js";
import { type ReportingPair, startReportingPair } from "../scenario/reporting-pair.js";
import { type AcrFront, startAcrFront } from "./acr-front.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

const TOKEN = "cloud-e2e-token-5b2";
const CANARY = "canary-cloud-e2e-8f3a";
const aws = {
  webIdentityToken: `sa-token-${CANARY}-aws`,
  roleArn: "arn:aws:iam::123456789012:role/imagedrift",
  accessKeyId: "ASIAFAKEIRSA",
  ecrPassword: `ecr-${CANARY}`,
};
const gcp = { accessToken: `ya29.${CANARY}-gcp` };
const azure = {
  tenant: "72f988bf-0000-0000-0000-000000000000",
  clientId: "11111111-2222-3333-4444-555555555555",
  federatedToken: `sa-token-${CANARY}-azure`,
  entraToken: `entra-${CANARY}`,
  refreshToken: `acr-refresh-${CANARY}`,
};
const SECRETS = [
  aws.webIdentityToken,
  aws.ecrPassword,
  gcp.accessToken,
  azure.federatedToken,
  azure.entraToken,
  azure.refreshToken,
];
const WRONG = { aws: `stale-${CANARY}-aws`, gcp: `ya29.revoked-${CANARY}`, azure: `stale-${CANARY}-azure` };
type Provider = "aws" | "gcp" | "azure";

let dir: string;
let lab: Lab;
let tokens: TokenServer;
let gcpRegistry: Registry;
let acrRegistry: Registry;
let front: AcrFront;
const fakes: Record<string, FakeServer> = {};
let good: ReportingPair;
let collector: Collector;
/** Each provider's registry host, as image references write it. */
const hosts = {} as Record<Provider, string>;
const digests = {} as Record<Provider, string>;
const ref = (provider: Provider, repoTag = "private/app:1") => `${hosts[provider]}/${repoTag}`;

/** The collector's environment: no credentials of this machine, each provider's endpoints on loopback. */
function providerEnv(files: { awsToken: string; azureToken: string }, metadata: FakeServer): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_REGION: "eu-west-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: join(dir, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
    AWS_ENDPOINT_URL_STS: fakes.aws?.url,
    AWS_ENDPOINT_URL_ECR: fakes.aws?.url,
    AWS_WEB_IDENTITY_TOKEN_FILE: files.awsToken,
    AWS_ROLE_ARN: aws.roleArn,
    GCE_METADATA_HOST: metadata.host,
    AZURE_FEDERATED_TOKEN_FILE: files.azureToken,
    AZURE_CLIENT_ID: azure.clientId,
    AZURE_TENANT_ID: azure.tenant,
    AZURE_AUTHORITY_HOST: fakes.entra?.url,
  };
}

function registriesYaml(): string {
  const entry = (host: string, auth: string) => `  - host: "${host}"\n    auth: ${auth}\n`;
  return `registries:\n${entry(hosts.aws, "{provider: aws, region: eu-west-1}")}${entry(hosts.gcp, "{provider: gcp}")}${entry(hosts.azure, "{provider: azure}")}`;
}

async function startPair(name: string, env: NodeJS.ProcessEnv): Promise<ReportingPair> {
  return startReportingPair({
    dir: await mkdtemp(join(dir, `${name}-`)),
    lab,
    token: TOKEN,
    env,
    registries: registriesYaml(),
    collectorArgs: ["--log-level", "debug"],
    agentArgs: ["--log-level", "debug"],
    what: `n1 reporting to the ${name} collector`,
  });
}

beforeAll(async () => {
  dir = await mkdtemp("/tmp/idl-cloud-");
  lab = await startLab({
    nodes: ["n1"],
    registryAuth: { type: "htpasswd", users: [{ username: "AWS", password: aws.ecrPassword }] },
    nodeCredentials: false,
  });
  fakes.aws = await startFakeServer(fakeAwsScript(aws));
  fakes.gcp = await startFakeServer(fakeGcpScript(gcp));
  fakes.entra = await startFakeServer(fakeEntraScript(azure));
  front = await startAcrFront();
  tokens = await startTokenServer({
    dir,
    users: [{ username: "oauth2accesstoken", password: gcp.accessToken }],
    refreshTokens: [azure.refreshToken],
  });
  [gcpRegistry, acrRegistry] = await Promise.all([
    startRegistry({ dir: join(dir, "gcp"), auth: tokens.registryAuth() }),
    startRegistry({ dir: join(dir, "acr"), auth: tokens.registryAuth(front.realm) }),
  ]);
  front.connect({
    registryUrl: acrRegistry.url,
    tokenUrl: tokens.realm,
    exchange: { tenant: azure.tenant, entraToken: azure.entraToken, refreshToken: azure.refreshToken },
  });
  Object.assign(hosts, { aws: lab.registry.host, gcp: gcpRegistry.host, azure: front.server.host });

  const pushes: Record<Provider, { destination: string; username: string; password: string }> = {
    aws: { destination: lab.registry.host, username: "AWS", password: aws.ecrPassword },
    gcp: { destination: gcpRegistry.host, username: "oauth2accesstoken", password: gcp.accessToken },
    // Pushed to the registry behind the front (the front forwards text bodies, not layers).
    azure: { destination: acrRegistry.host, username: ACR_USERNAME, password: azure.refreshToken },
  };
  for (const provider of ["aws", "gcp", "azure"] as const) {
    const { destination, username, password } = pushes[provider];
    for (const repoTag of ["private/app:1", "private/app:2"]) {
      const image = await buildOciImage({ parentDir: dir, salt: `${provider} ${repoTag}` });
      await pushImage({ image, destination: `${destination}/${repoTag}`, credentials: { username, password } });
      if (repoTag === "private/app:1") digests[provider] = image.digest;
    }
  }
  await writeFile(join(dir, "aws-token"), aws.webIdentityToken);
  await writeFile(join(dir, "azure-token"), azure.federatedToken);
  good = await startPair(
    "good",
    providerEnv({ awsToken: join(dir, "aws-token"), azureToken: join(dir, "azure-token") }, fakes.gcp),
  );
  collector = good.collector;
}, 120_000);

afterAll(async () => {
  await good?.stop();
  await Promise.allSettled([gcpRegistry?.stop(), acrRegistry?.stop()]);
  await Promise.allSettled([...Object.values(fakes), front?.server].map((s) => s?.close()));
  await tokens?.close();
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe.each(["aws", "gcp", "azure"] as const)(
  "%s: the provider's credential, exchanged by the built collector",
  (provider) => {
    it("prepulls the private tag onto a node through the agent, then shows it resolved", async () => {
      const reference = ref(provider);
      const created = await createJob(collector.url, TOKEN, { type: "prepull", images: [reference] });
      const job = await finishedJob(collector.url, created.id);
      expect(job.state, JSON.stringify(job.nodes)).toBe("succeeded");
      expect(job.nodes[0]?.pulled?.[0]).toMatchObject({ ref: reference, digest: digests[provider], verified: true });
      const view = await waitForTag(collector.url, reference, (t) => t.resolvedAt !== null);
      expect(view).toMatchObject({ status: "current", registryDigest: digests[provider], resolveError: null });
      if (provider === "aws") {
        // The resolves so far and the agent's pull rode on one exchange (the token lasts 12 h).
        const sts = fakes.aws?.requests.filter((r) => r.body.includes("AssumeRoleWithWebIdentity")).length;
        const ecr = fakes.aws?.requests.filter((r) => r.headers["x-amz-target"] !== undefined).length;
        expect({ sts, ecr }).toEqual({ sts: 1, ecr: 1 });
      }
    });
  },
);

describe("token-request cost of a cold resolve of 300 private tags", () => {
  const REPOS = 5;
  const PER_REPO = 60;

  /** PER_REPO tags of one image in `repo`: one skopeo push, then manifest PUTs under a push token. */
  async function tagMany(registry: Registry, pushAs: { username: string; password: string }, repo: string) {
    const image = await buildOciImage({ parentDir: dir, salt: `cost ${registry.host} ${repo}` });
    await pushImage({ image, destination: `${registry.host}/${repo}:t0`, credentials: pushAs });
    const bearer = tokens.bearer(`repository:${repo}:pull,push`);
    const accept = "application/vnd.oci.image.manifest.v1+json";
    const got = await fetch(`${registry.url}/v2/${repo}/manifests/t0`, { headers: { authorization: bearer, accept } });
    const body = Buffer.from(await got.arrayBuffer());
    const type = got.headers.get("content-type") ?? accept;
    for (let i = 1; i < PER_REPO; i++) {
      const put = await fetch(`${registry.url}/v2/${repo}/manifests/t${i}`, {
        method: "PUT",
        headers: { authorization: bearer, "content-type": type },
        body,
      });
      expect(put.status, `PUT ${repo}:t${i}`).toBe(201);
    }
  }

  it("costs one token request per repository and one provider exchange, not one per tag", async () => {
    const repos = Array.from({ length: REPOS }, (_, i) => `cost/app${i}`);
    const pushers = {
      gcp: { registry: gcpRegistry, as: { username: "oauth2accesstoken", password: gcp.accessToken } },
      azure: { registry: acrRegistry, as: { username: ACR_USERNAME, password: azure.refreshToken } },
    };
    await Promise.all(
      Object.values(pushers).flatMap(({ registry, as }) => repos.map((repo) => tagMany(registry, as, repo))),
    );
    const figures: Record<string, Record<string, number>> = {};
    for (const provider of ["gcp", "azure"] as const) {
      const env = {
        GCE_METADATA_HOST: fakes.gcp?.host,
        AZURE_FEDERATED_TOKEN_FILE: join(dir, "azure-token"),
        AZURE_CLIENT_ID: azure.clientId,
        AZURE_TENANT_ID: azure.tenant,
        AZURE_AUTHORITY_HOST: fakes.entra?.url,
      };
      const read = (path: string) => readFile(path, "utf8");
      // A new identity and resolver: nothing cached, as after a collector start.
      const cloud = cloudIdentity({ env, readFile: read, clock: systemClock });
      const yaml = `registries:\n  - host: "${hosts[provider]}"\n    requestsPerSecond: 5000\n    maxConcurrentRequests: 16\n    auth: {provider: ${provider}}\n`;
      const registries = await parseRegistriesConfig(yaml, { readFile: read, cloud });
      const resolver = new TagResolver({ registries, resolveIntervalMs: 60_000 });
      const tags = repos.flatMap((repo) =>
        Array.from({ length: PER_REPO }, (_, i) => `${hosts[provider]}/${repo}:t${i}`),
      );
      const count = () => ({
        token: tokens.requests.length,
        metadata: fakes.gcp?.requests.length ?? 0,
        entra: fakes.entra?.requests.length ?? 0,
        exchange: front.exchanges().length,
      });
      const before = count();
      const started = performance.now();
      const results = await resolver.resolve(tags);
      const ms = Math.round(performance.now() - started);
      const after = count();
      expect([...results.values()].filter((r) => r.state !== "found")).toEqual([]);
      expect(results.size).toBe(REPOS * PER_REPO);
      figures[provider] = {
        tags: results.size,
        tokenRequests: after.token - before.token,
        metadataRequests: after.metadata - before.metadata,
        entraRequests: after.entra - before.entra,
        exchangeRequests: after.exchange - before.exchange,
        ms,
      };
      const scopes = tokens.requests.slice(before.token).map((r) => r.scopes.join(" "));
      expect(new Set(scopes).size).toBe(REPOS);
    }
    process.stdout.write(`token-request cost of a cold resolve: ${JSON.stringify(figures)}\n`);
    expect(figures.gcp).toMatchObject({
      tokenRequests: REPOS,
      metadataRequests: 1,
      entraRequests: 0,
      exchangeRequests: 0,
    });
    expect(figures.azure).toMatchObject({
      tokenRequests: REPOS,
      metadataRequests: 0,
      entraRequests: 1,
      exchangeRequests: 1,
    });
  });
});

describe("wrong provider credentials", () => {
  let bad: ReportingPair;

  beforeAll(async () => {
    fakes.gcpWrong = await startFakeServer(fakeGcpScript({ accessToken: WRONG.gcp }));
    await writeFile(join(dir, "aws-wrong"), WRONG.aws);
    await writeFile(join(dir, "azure-wrong"), WRONG.azure);
    bad = await startPair(
      "bad",
      providerEnv({ awsToken: join(dir, "aws-wrong"), azureToken: join(dir, "azure-wrong") }, fakes.gcpWrong),
    );
  }, 60_000);
  afterAll(async () => {
    await bad?.stop();
  });

  const reasons: Record<Provider, RegExp> = {
    aws: /aws credentials: GetAuthorizationToken failed: .*bad token/,
    gcp: /refused the token request for repository:private\/app:pull \(401\)/,
    azure: /azure credentials: the Entra ID token endpoint answered 401 \(invalid_client/,
  };

  it.each(["aws", "gcp", "azure"] as const)(
    "%s: the held tag is unresolved with the auth reason, never missing or stale",
    async (provider) => {
      const view = await waitForTag(bad.collector.url, ref(provider), (t) => t.resolveError !== null);
      expect(view.status).toBe("unresolved");
      expect(view.resolveError).toMatch(reasons[provider]);
    },
  );

  it.each(["aws", "gcp", "azure"] as const)(
    "%s: a prepull fails at once with that reason, no retries",
    async (provider) => {
      const created = await createJob(bad.collector.url, TOKEN, {
        type: "prepull",
        images: [ref(provider, "private/app:2")],
      });
      const job = await finishedJob(bad.collector.url, created.id);
      expect(job.state).toBe("failed");
      expect(job.nodes.map((n) => [n.state, n.attempts])).toEqual([["failed", 0]]);
      expect(job.nodes[0]?.message).toMatch(reasons[provider]);
    },
  );

  it("the registries' auth problems are listed; no provider secret is in a log, database or API answer", async () => {
    const answer = (await (await fetch(`${bad.collector.url}/api/v1/registries`)).json()) as {
      authProblems: { registry: string; reason: string }[];
    };
    expect(answer.authProblems.map((p) => p.registry).sort()).toEqual(Object.values(hosts).sort());
    const texts: string[] = [];
    for (const c of [collector, bad.collector]) {
      for (const path of ["/api/v1/jobs", "/api/v1/tags", "/api/v1/findings", "/api/v1/registries", "/metrics"]) {
        texts.push(await (await fetch(`${c.url}${path}`)).text());
      }
    }
    const homes = [dirOf(collector.db), dirOf(bad.collector.db)];
    for (const home of homes) {
      for (const file of (await readdir(home)).filter((f) => /\.log$|\.db/.test(f))) {
        texts.push((await readFile(join(home, file))).toString("latin1"));
      }
    }
    const all = texts.join("\n");
    for (const secret of [...SECRETS, ...Object.values(WRONG)]) {
      expect(all.includes(secret), `${secret} leaked`).toBe(false);
      expect(all.includes(Buffer.from(secret).toString("base64")), `${secret} leaked as base64`).toBe(false);
    }
    expect(all).not.toContain(CANARY);
  });
});

const dirOf = (file: string) => file.slice(0, file.lastIndexOf("/"));
