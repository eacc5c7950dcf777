/**
 * Registry authentication against the real docker-registry: Basic auth with an
 * htpasswd file (credentials from `username` + `passwordFile` and from a
 * dockerconfigjson secret), and token auth against a token server the test
 * serves on 127.0.0.1. A canary password must never show in a result or in a
 * log line.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistriesConfig, TagResolver } from "../../packages/collector/src/registry/index.js";
import { buildOciImage, type Lab, pushImage, type Registry, startLab, startRegistry } from "../lab/index.js";
import { type Guard, guardDir } from "../lab/safety-net.js";
import { capturingLogger, registriesConfigFile } from "./helpers.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

const CANARY = "canary-Pw-3c9b1e-do-not-log";
const INTERVAL = 5 * 60_000;

function resolverWith(registries: RegistriesConfig) {
  const { logger, lines } = capturingLogger();
  const tagResolver = new TagResolver({
    registries,
    resolveIntervalMs: INTERVAL,
    log: logger,
    retry: { baseDelayMs: 20 },
  });
  return { tagResolver, lines };
}

async function resolveOne(registries: RegistriesConfig, tag: string) {
  const { tagResolver, lines } = resolverWith(registries);
  const result = (await tagResolver.resolve([tag])).get(tag);
  return { result, lines };
}

describe("Basic auth (htpasswd)", () => {
  let lab: Lab;
  let dir: string;
  let digest: string;
  let tag: string;

  beforeAll(async () => {
    lab = await startLab({
      nodes: 0,
      registryAuth: { type: "htpasswd", users: [{ username: "robot", password: CANARY }] },
    });
    digest = await lab.buildAndPush("private/app:1", { salt: "basic" });
    tag = lab.ref("private/app:1");
    dir = await mkdtemp(join(lab.dir, "cfg-"));
  });
  afterAll(async () => {
    await lab?.stop();
  });

  const yaml = (auth: string) => `registries:\n  - host: "${lab.registry.host}"\n    auth: ${auth}\n`;

  it("resolves with username + passwordFile", async () => {
    const registries = await registriesConfigFile(dir, yaml("{username: robot, passwordFile: pw}"), {
      pw: `${CANARY}\n`,
    });
    const { result, lines } = await resolveOne(registries, tag);
    expect(result).toMatchObject({ state: "found", digest });
    expect(lines.join("")).not.toContain(CANARY);
  });

  it("resolves with a dockerconfigjson secret", async () => {
    const auth = Buffer.from(`robot:${CANARY}`).toString("base64");
    const secret = JSON.stringify({ auths: { [`http://${lab.registry.host}`]: { auth } } });
    const registries = await registriesConfigFile(dir, yaml("{dockerConfigJson: dockerconfig.json}"), {
      "dockerconfig.json": secret,
    });
    expect((await resolveOne(registries, tag)).result).toMatchObject({ state: "found", digest });
  });

  it("reports wrong credentials as an error naming host and repository, never the password", async () => {
    const wrong = `${CANARY}-wrong`;
    const registries = await registriesConfigFile(dir, yaml("{username: robot, passwordFile: pw}"), { pw: wrong });
    const { result, lines } = await resolveOne(registries, tag);
    expect(result).toEqual({
      state: "error",
      error: `${tag}: registry ${lab.registry.host} answered 401 (UNAUTHORIZED): the configured credentials were not accepted`,
      resolvedAt: expect.any(String),
    });
    const everything = `${JSON.stringify(result)}\n${lines.join("")}`;
    expect(everything).not.toContain(CANARY);
    expect(everything).not.toContain(Buffer.from(`robot:${wrong}`).toString("base64"));
  });

  it("says credentials are needed when none are configured", async () => {
    const { result } = await resolveOne({ hosts: new Map() }, tag);
    expect(result).toMatchObject({
      state: "error",
      error: expect.stringContaining("it needs credentials and none are configured"),
    });
  });
});

describe("token auth", () => {
  let dir: string;
  let guard: Guard | undefined;
  let tokens: TokenServer;
  let registry: Registry;
  const robot = { username: "robot", password: "token-pass" };

  beforeAll(async () => {
    dir = await mkdtemp("/tmp/idl-token-");
    guard = guardDir(dir);
    tokens = await startTokenServer({ dir, users: [robot] });
    registry = await startRegistry({ dir: join(dir, "registry"), auth: tokens.registryAuth() });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.close();
    await rm(dir, { recursive: true, force: true });
    guard?.release();
  });

  async function push(repoTag: string): Promise<string> {
    const image = await buildOciImage({ parentDir: dir, salt: repoTag });
    await pushImage({ image, destination: `${registry.host}/${repoTag}`, credentials: robot });
    const [repo = "", tag = ""] = repoTag.split(":");
    const digest = await registry.digestOf(repo, tag, tokens.bearer(`repository:${repo}:pull`));
    expect(digest).toBe(image.digest);
    return digest;
  }

  it("gets a token for repository:<repo>:pull with Basic credentials and reuses it per scope", async () => {
    const [d1, d2, d3] = [await push("demo/app:1"), await push("demo/app:2"), await push("demo/other:1")];
    const registries = await registriesConfigFile(
      dir,
      `registries:\n  - host: "${registry.host}"\n    auth: {username: robot, passwordFile: pw}\n`,
      { pw: robot.password },
    );
    const { tagResolver } = resolverWith(registries);
    const before = tokens.requests.length;
    const t1 = `${registry.host}/demo/app:1`;
    expect((await tagResolver.resolve([t1])).get(t1)).toMatchObject({ state: "found", digest: d1 });
    const [t2, t3] = [`${registry.host}/demo/app:2`, `${registry.host}/demo/other:1`];
    const results = await tagResolver.resolve([t2, t3]);
    expect(results.get(t2)).toMatchObject({ state: "found", digest: d2 });
    expect(results.get(t3)).toMatchObject({ state: "found", digest: d3 });
    expect(tokens.requests.slice(before).map((r) => [r.user, r.scopes])).toEqual([
      ["robot", ["repository:demo/app:pull"]],
      ["robot", ["repository:demo/other:pull"]],
    ]);
  });

  it("reports a refused token request as an error naming the host, never the password", async () => {
    await push("demo/app:3");
    const registries = await registriesConfigFile(
      dir,
      `registries:\n  - host: "${registry.host}"\n    auth: {username: robot, passwordFile: wrong}\n`,
      { wrong: CANARY },
    );
    const tag = `${registry.host}/demo/app:3`;
    const { result, lines } = await resolveOne(registries, tag);
    expect(result).toMatchObject({
      state: "error",
      error: `${tag}: registry ${registry.host}: token server ${new URL(tokens.realm).host} refused the token request for repository:demo/app:pull (401): the configured credentials were not accepted`,
    });
    expect(`${JSON.stringify(result)}${lines.join("")}`).not.toContain(CANARY);
  });

  it("tries anonymously when no credentials are configured", async () => {
    const tag = `${registry.host}/demo/app:1`;
    const before = tokens.requests.length;
    const { result } = await resolveOne({ hosts: new Map() }, tag);
    expect(result).toMatchObject({ state: "error", error: expect.stringContaining("refused the token request") });
    expect(tokens.requests.slice(before).map((r) => r.authorization)).toEqual([undefined]);
  });
});
