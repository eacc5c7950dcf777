/**
 * A registry behind HTTPS with a private CA (docker-registry's own TLS): the
 * `ca` setting makes it resolve; without it the certificate is refused and
 * the tag stays unresolved.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistriesConfig, TagResolver } from "../../packages/collector/src/registry/index.js";
import { buildOciImage, pushImage } from "../lab/index.js";
import { type Guard, guardDir } from "../lab/safety-net.js";
import { registriesConfigFile } from "./helpers.js";
import { startTlsRegistry, type TlsRegistry } from "./tls-registry.js";

let dir: string;
let guard: Guard | undefined;
let registry: TlsRegistry;
let digest: string;
let tag: string;

beforeAll(async () => {
  dir = await mkdtemp("/tmp/idl-tls-");
  guard = guardDir(dir);
  registry = await startTlsRegistry(join(dir, "registry"));
  const image = await buildOciImage({ parentDir: dir, salt: "tls" });
  await pushImage({ image, destination: `${registry.host}/demo/app:1` });
  digest = image.digest;
  tag = `${registry.host}/demo/app:1`;
});
afterAll(async () => {
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
  guard?.release();
});

async function resolveWith(registries: RegistriesConfig) {
  const tagResolver = new TagResolver({ registries, resolveIntervalMs: 60_000, retry: { maxAttempts: 1 } });
  return (await tagResolver.resolve([tag])).get(tag);
}

describe("registry with a private CA", () => {
  it("resolves over HTTPS when the registry's ca is configured", async () => {
    const registries = await registriesConfigFile(dir, `registries:\n  - host: "${registry.host}"\n    ca: ca.pem\n`, {
      "ca.pem": registry.caPem,
    });
    expect(await resolveWith(registries)).toMatchObject({ state: "found", digest });
  });

  it("refuses the certificate without the ca, leaving the tag unresolved", async () => {
    const registries = await registriesConfigFile(
      dir,
      `registries:\n  - host: "${registry.host}"\n    insecure: false\n`,
    );
    const result = await resolveWith(registries);
    expect(result).toMatchObject({
      state: "error",
      error: expect.stringContaining("(is the registry's ca configured?)"),
    });
  });

  it("explains the 400 an HTTPS registry on loopback gives to the default plain HTTP", async () => {
    const result = await resolveWith({ hosts: new Map() });
    expect(result).toMatchObject({
      state: "error",
      error: `${tag}: registry ${registry.host} answered 400 to plain HTTP: if it serves HTTPS, set insecure: false (and ca) for it`,
    });
  });
});
