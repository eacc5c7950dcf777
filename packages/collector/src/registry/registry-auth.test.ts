import { createLogger, parseImageRef } from "@imagedrift/core";
import { afterEach, describe, expect, it } from "vitest";
import { InstantClock } from "./clock.fake.js";
import {
  errorReply,
  type FakeRequest,
  type FakeServer,
  manifestBody,
  manifestReply,
  type Script,
  startFakeServer,
} from "./fake-registry.fake.js";
import { RegistryClient } from "./registry-client.js";
import { defaultHostConfig, type RegistryHostConfig } from "./registry-host.js";
import { type RegistryCredentials, Secret } from "./secret.js";

const CANARY = "canary-Pa55w0rd-7f3e";
const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(script: Script): Promise<FakeServer> {
  const server = await startFakeServer(script);
  servers.push(server);
  return server;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

interface TokenRegistryOptions {
  /** What the token server answers; default a fresh token `tok-N` for anyone. */
  token?: (request: FakeRequest, n: number) => { status: number; body: object };
}

/** A registry that wants Bearer tokens from a token server it names in its challenge. */
async function tokenRegistry(options: TokenRegistryOptions = {}) {
  const issued = new Set<string>();
  let n = 0;
  const tokens = await serve((request) => {
    n++;
    const answer = options.token?.(request, n) ?? { status: 200, body: { token: `tok-${n}`, expires_in: 300 } };
    const body = answer.body as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (token) issued.add(token);
    return {
      status: answer.status,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(answer.body),
    };
  });
  const manifest = manifestBody("token-protected");
  const registry = await serve((request) => {
    const presented = request.headers.authorization?.replace(/^Bearer /, "");
    if (presented !== undefined && issued.has(presented)) return manifestReply(manifest);
    const repo = request.path.split("/manifests/")[0]?.slice("/v2/".length);
    return errorReply(401, "UNAUTHORIZED", {
      "www-authenticate": `Bearer realm="${tokens.url}/token",service="fake-registry",scope="repository:${repo}:pull"`,
    });
  });
  return { tokens, registry, manifest };
}

function clientFor(host: string, config: Partial<RegistryHostConfig> = {}) {
  const clock = new InstantClock();
  const lines: string[] = [];
  const registry = new RegistryClient({
    registries: { hosts: new Map([[host, { ...defaultHostConfig(host), ...config }]]) },
    clock,
    random: () => 0,
    log: createLogger({ write: (line) => lines.push(line), level: "debug" }),
  });
  return { registry, clock, lines };
}

const basicCredentials = (username: string, password: string): RegistryCredentials => ({
  kind: "basic",
  username,
  password: new Secret(password),
});

describe("Bearer token flow", () => {
  it("gets an anonymous token for repository:<repo>:pull and reuses it until it expires", async () => {
    const { tokens, registry, manifest } = await tokenRegistry();
    const { registry: client, clock } = clientFor(registry.host);
    const ref = parseImageRef(`${registry.host}/demo/app:v1`);
    expect(await client.resolveTag(ref)).toMatchObject({ state: "found", digest: manifest.digest });
    expect(registry.requests.map((r) => `${r.method} ${r.headers.authorization ?? "-"}`)).toEqual([
      "HEAD -",
      "HEAD Bearer tok-1",
    ]);
    expect(tokens.requests).toHaveLength(1);
    const tokenRequest = tokens.requests[0];
    expect(tokenRequest?.url.searchParams.get("service")).toBe("fake-registry");
    expect(tokenRequest?.url.searchParams.get("scope")).toBe("repository:demo/app:pull");
    expect(tokenRequest?.headers.authorization).toBeUndefined();

    await client.resolveTag(parseImageRef(`${registry.host}/demo/app:v2`));
    clock.advance(289_000); // 300 s minus the 10 s margin, not yet
    await client.resolveTag(ref);
    expect(tokens.requests).toHaveLength(1);
    clock.advance(2_000);
    await client.resolveTag(ref);
    expect(tokens.requests).toHaveLength(2);
    // Once the challenge is known, requests carry a token up front: one 401 per host, not per request.
    expect(registry.requests.filter((r) => r.headers.authorization === undefined)).toHaveLength(1);
  });

  it("asks for one token per scope, and one at a time per scope", async () => {
    const { tokens, registry } = await tokenRegistry();
    const { registry: client } = clientFor(registry.host);
    const refs = ["a:1", "a:2", "a:3", "b:1"].map((t) => parseImageRef(`${registry.host}/demo/${t}`));
    const results = await Promise.all(refs.map((ref) => client.resolveTag(ref)));
    expect(results.map((r) => r.state)).toEqual(["found", "found", "found", "found"]);
    expect(tokens.requests.map((r) => r.url.searchParams.get("scope")).sort()).toEqual([
      "repository:demo/a:pull",
      "repository:demo/b:pull",
    ]);
  });

  it("answers a 401 to a request sent before the token came with that token, not a new one", async () => {
    let n = 0;
    const tokens = await serve(() => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: `tok-${++n}`, expires_in: 300 }),
    }));
    let served!: () => void;
    const firstServed = new Promise<void>((resolve) => {
      served = resolve;
    });
    let anonymous = 0;
    const registry = await serve(async (request) => {
      if (request.headers.authorization?.startsWith("Bearer tok-")) {
        served();
        return manifestReply(manifestBody("a"));
      }
      // The second request went out before any token existed; its 401 comes after the first got one.
      if (++anonymous === 2) await firstServed;
      return errorReply(401, "UNAUTHORIZED", {
        "www-authenticate": `Bearer realm="${tokens.url}/token",service="fake",scope="repository:demo/a:pull"`,
      });
    });
    const { registry: client } = clientFor(registry.host);
    const refs = ["a:1", "a:2"].map((t) => parseImageRef(`${registry.host}/demo/${t}`));
    const results = await Promise.all(refs.map((ref) => client.resolveTag(ref)));
    expect(results.map((r) => r.state)).toEqual(["found", "found"]);
    expect(tokens.requests).toHaveLength(1);
  });

  it("defaults the token lifetime to 60 s and reads access_token", async () => {
    const { tokens, registry } = await tokenRegistry({
      token: (_r, n) => ({ status: 200, body: { access_token: `acc-${n}` } }),
    });
    const { registry: client, clock } = clientFor(registry.host);
    const ref = parseImageRef(`${registry.host}/demo/app:v1`);
    expect(await client.resolveTag(ref)).toMatchObject({ state: "found" });
    clock.advance(49_000);
    await client.resolveTag(ref);
    expect(tokens.requests).toHaveLength(1);
    clock.advance(2_000);
    await client.resolveTag(ref);
    expect(tokens.requests).toHaveLength(2);
  });

  it("sends Basic credentials to the token server; a refusal names the host, never the password", async () => {
    const { tokens, registry } = await tokenRegistry({
      token: (request, n) =>
        request.headers.authorization === basic("robot", "right")
          ? { status: 200, body: { token: `tok-${n}` } }
          : { status: 401, body: { details: "incorrect username or password" } },
    });
    const good = clientFor(registry.host, { credentials: basicCredentials("robot", "right") });
    expect(await good.registry.resolveTag(parseImageRef(`${registry.host}/demo/app:v1`))).toMatchObject({
      state: "found",
    });

    const bad = clientFor(registry.host, { credentials: basicCredentials("robot", CANARY) });
    const result = await bad.registry.resolveTag(parseImageRef(`${registry.host}/demo/app:v1`));
    expect(result).toMatchObject({
      state: "error",
      error: `${registry.host}/demo/app:v1: registry ${registry.host}: token server ${tokens.host} refused the token request for repository:demo/app:pull (401): the configured credentials were not accepted`,
    });
    expect(JSON.stringify(result)).not.toContain(CANARY);
    expect(bad.lines.join("")).not.toContain(CANARY);
    expect(tokens.requests.at(-1)?.headers.authorization).toBe(basic("robot", CANARY));
  });

  it("names where refused credentials came from (a pull secret), never their value", async () => {
    const { registry } = await tokenRegistry({
      token: () => ({ status: 401, body: { details: "incorrect username or password" } }),
    });
    const { registry: client } = clientFor(registry.host, {
      credentials: basicCredentials("robot", CANARY),
      credentialSource: "pull secret shop/regcred",
    });
    const result = await client.resolveTag(parseImageRef(`${registry.host}/demo/app:v1`));
    expect(result).toMatchObject({
      state: "error",
      error: expect.stringMatching(/\(401\): the credentials of pull secret shop\/regcred were not accepted$/),
    });
    expect(JSON.stringify(result)).not.toContain(CANARY);
  });

  it("exchanges an identity token with the OAuth2 refresh-token POST", async () => {
    const { tokens, registry } = await tokenRegistry({
      token: (request, n) => {
        const form = new URLSearchParams(request.body);
        return request.method === "POST" &&
          form.get("grant_type") === "refresh_token" &&
          form.get("refresh_token") === "idt"
          ? { status: 200, body: { access_token: `acc-${n}` } }
          : { status: 401, body: {} };
      },
    });
    const { registry: client } = clientFor(registry.host, {
      credentials: { kind: "identity-token", username: "<token>", token: new Secret("idt") },
    });
    expect(await client.resolveTag(parseImageRef(`${registry.host}/demo/app:v1`))).toMatchObject({ state: "found" });
    const form = new URLSearchParams(tokens.requests[0]?.body);
    expect(Object.fromEntries(form)).toMatchObject({ service: "fake-registry", scope: "repository:demo/app:pull" });
  });

  it("reports a token the registry still refuses as an error, not as not-found", async () => {
    const tokens = await serve(() => ({ status: 200, body: JSON.stringify({ token: "useless" }) }));
    const registry = await serve(() =>
      errorReply(401, "UNAUTHORIZED", { "www-authenticate": `Bearer realm="${tokens.url}/token",service="s"` }),
    );
    const { registry: client } = clientFor(registry.host);
    const result = await client.resolveTag(parseImageRef(`${registry.host}/demo/app:v1`));
    expect(result).toMatchObject({
      state: "error",
      error: `${registry.host}/demo/app:v1: registry ${registry.host} answered 401 (UNAUTHORIZED): it needs credentials and none are configured`,
    });
  });

  it("refuses to send credentials to a plain-HTTP token realm on another host", async () => {
    const registry = await serve(() =>
      errorReply(401, "UNAUTHORIZED", {
        "www-authenticate": 'Bearer realm="http://auth.example.com/token",service="s"',
      }),
    );
    const { registry: client } = clientFor(registry.host, {
      insecure: false,
      credentials: basicCredentials("u", CANARY),
    });
    const result = await client.resolveTag(parseImageRef(`${registry.host}/demo/app:v1`));
    expect(result).toMatchObject({ state: "error", error: expect.stringContaining("not sending credentials there") });
    expect(JSON.stringify(result)).not.toContain(CANARY);
  });
});

describe("Basic auth", () => {
  async function basicRegistry(password: string) {
    const manifest = manifestBody("basic");
    const registry = await serve((request) =>
      request.headers.authorization === basic("robot", password)
        ? manifestReply(manifest)
        : errorReply(401, "UNAUTHORIZED", { "www-authenticate": 'Basic realm="Registry Realm"' }),
    );
    return { registry, manifest };
  }

  it("answers a Basic challenge with the configured credentials, then sends them up front", async () => {
    const { registry, manifest } = await basicRegistry("right");
    const { registry: client } = clientFor(registry.host, { credentials: basicCredentials("robot", "right") });
    expect(await client.resolveTag(parseImageRef(`${registry.host}/demo/app:v1`))).toMatchObject({
      state: "found",
      digest: manifest.digest,
    });
    await client.resolveTag(parseImageRef(`${registry.host}/demo/other:v1`));
    expect(registry.requests.map((r) => (r.headers.authorization ? "creds" : "none"))).toEqual([
      "none",
      "creds",
      "creds",
    ]);
  });

  it("reports wrong credentials as an error naming the host and repository, without the password", async () => {
    const { registry } = await basicRegistry("right");
    const { registry: client, lines } = clientFor(registry.host, { credentials: basicCredentials("robot", CANARY) });
    const result = await client.resolveTag(parseImageRef(`${registry.host}/demo/app:v1`));
    expect(result).toMatchObject({
      state: "error",
      error: `${registry.host}/demo/app:v1: registry ${registry.host} answered 401 (UNAUTHORIZED): the configured credentials were not accepted`,
    });
    expect(JSON.stringify(result) + lines.join("")).not.toContain(CANARY);
    expect(JSON.stringify(result)).not.toContain(Buffer.from(`robot:${CANARY}`).toString("base64"));
  });

  it("says credentials are missing when none are configured", async () => {
    const { registry } = await basicRegistry("right");
    const { registry: client } = clientFor(registry.host);
    expect(await client.resolveTag(parseImageRef(`${registry.host}/demo/app:v1`))).toMatchObject({
      state: "error",
      error: expect.stringContaining("it needs credentials and none are configured"),
    });
  });
});
