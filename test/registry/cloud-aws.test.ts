/**
 * ECR credentials through the real AWS SDK (its default credential chain and
 * ECR client), against STS, ECR and EKS Pod Identity servers on 127.0.0.1
 * reached through the SDK's own endpoint settings. The resolver runs in a
 * plain `node` child over the built collector, as in production: the AWS
 * SDK's ES build cannot load under the test runner's `module` condition.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeAwsScript } from "../../packages/collector/src/registry/cloud-providers.fake.js";
import {
  type FakeRequest,
  type FakeServer,
  manifestBody,
  manifestReply,
  type Reply,
  type Script,
  startFakeServer,
} from "../../packages/collector/src/registry/fake-registry.fake.js";

const CANARY = "canary-aws-51c2";
const manifest = manifestBody("ecr");
const registryModule = resolve("packages/collector/dist/registry/index.js");
const aws = {
  webIdentityToken: `sa-token-${CANARY}`,
  roleArn: "arn:aws:iam::123456789012:role/imagedrift",
  accessKeyId: "ASIAFAKEIRSA",
  ecrPassword: `ecr-${CANARY}`,
  podIdentityToken: `pod-${CANARY}`,
};
const servers: FakeServer[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagedrift-aws-"));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function serve(script: Script): Promise<FakeServer> {
  const server = await startFakeServer(script);
  servers.push(server);
  return server;
}

function ecrLikeRegistry(): (r: FakeRequest) => Reply {
  const wanted = `Basic ${Buffer.from(`AWS:${aws.ecrPassword}`).toString("base64")}`;
  return (r) =>
    r.headers.authorization === wanted
      ? manifestReply(manifest)
      : { status: 401, headers: { "www-authenticate": 'Basic realm="ecr"' } };
}

/** Resolves `tags` in a `node` child with `env`; its answer: each tag's state and error. */
async function resolveInChild(host: string, tags: readonly string[], env: Record<string, string>) {
  const script = `
    import { readFile } from "node:fs/promises";
    const r = await import(${JSON.stringify(registryModule)});
    const read = (p) => readFile(p, "utf8");
    const cloud = r.cloudIdentity({ env: process.env, readFile: read, clock: r.systemClock });
    const yaml = "registries:\\n  - host: \\"${host}\\"\\n    requestsPerSecond: 5000\\n    maxConcurrentRequests: 16\\n    auth: {provider: aws, region: eu-west-1}\\n";
    const registries = await r.parseRegistriesConfig(yaml, { readFile: read, cloud });
    const resolver = new r.TagResolver({ registries, resolveIntervalMs: 60000 });
    const results = await resolver.resolve(JSON.parse(process.argv[1]));
    process.stdout.write(JSON.stringify([...results.values()]));
  `;
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    AWS_REGION: "eu-west-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: join(dir, "no-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-credentials"),
  };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", script, JSON.stringify(tags)],
    { env: { ...base, ...env }, cwd: dir },
  );
  return JSON.parse(stdout) as { state: string; digest?: string; error?: string }[];
}

describe("ECR through the AWS default credential chain", () => {
  it("IRSA: web identity token file → STS → GetAuthorizationToken; 300 tags cost one exchange", async () => {
    const fake = await serve(fakeAwsScript(aws));
    const registry = await serve(ecrLikeRegistry());
    await writeFile(join(dir, "token"), aws.webIdentityToken);
    const tags = Array.from({ length: 300 }, (_, i) => `${registry.host}/team/app${i % 3}:v${i}`);
    const results = await resolveInChild(registry.host, tags, {
      AWS_ENDPOINT_URL_STS: fake.url,
      AWS_ENDPOINT_URL_ECR: fake.url,
      AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, "token"),
      AWS_ROLE_ARN: aws.roleArn,
    });
    expect(results.filter((r) => r.state !== "found" || r.digest !== manifest.digest)).toEqual([]);
    expect(results).toHaveLength(300);
    const sts = fake.requests.filter((r) => r.body.includes("AssumeRoleWithWebIdentity"));
    const ecr = fake.requests.filter((r) => r.headers["x-amz-target"] !== undefined);
    expect({ sts: sts.length, ecr: ecr.length }).toEqual({ sts: 1, ecr: 1 });
  });

  it("EKS Pod Identity: container credentials from a loopback URI with the token file's authorization", async () => {
    const fake = await serve(fakeAwsScript(aws));
    const registry = await serve(ecrLikeRegistry());
    await writeFile(join(dir, "pod-token"), aws.podIdentityToken);
    const [result] = await resolveInChild(registry.host, [`${registry.host}/team/app:1`], {
      AWS_ENDPOINT_URL_ECR: fake.url,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${fake.url}/pod-identity`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(dir, "pod-token"),
    });
    expect(result).toMatchObject({ state: "found", digest: manifest.digest });
    expect(fake.requests.filter((r) => r.url.pathname === "/pod-identity")).toHaveLength(1);
  });

  it("a refused web identity leaves the tag unresolved, naming the provider and STS's reason, never a token", async () => {
    const fake = await serve(fakeAwsScript(aws));
    const registry = await serve(ecrLikeRegistry());
    await writeFile(join(dir, "token"), `stale-${CANARY}`);
    const [result] = await resolveInChild(registry.host, [`${registry.host}/team/app:1`], {
      AWS_ENDPOINT_URL_STS: fake.url,
      AWS_ENDPOINT_URL_ECR: fake.url,
      AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, "token"),
      AWS_ROLE_ARN: aws.roleArn,
    });
    expect(result?.state).toBe("error");
    expect(result?.error).toMatch(/aws credentials: GetAuthorizationToken failed: .*bad token/);
    expect(result?.error).not.toContain(CANARY);
  });
});
