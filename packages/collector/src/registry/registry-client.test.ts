import { parseImageRef } from "@imagedrift/core";
import { afterEach, describe, expect, it } from "vitest";
import { InstantClock } from "./clock.fake.js";
import {
  errorReply,
  type FakeServer,
  manifestBody,
  manifestReply,
  OCI_INDEX,
  type Script,
  startFakeServer,
} from "./fake-registry.fake.js";
import { fetchTransport, type HttpTransport, nodeTransport } from "./http-transport.js";
import { MANIFEST_ACCEPT, RegistryClient, type RegistryClientOptions } from "./registry-client.js";
import { defaultHostConfig, emptyRegistriesConfig, type RegistryHostConfig } from "./registry-host.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(script: Script): Promise<FakeServer> {
  const server = await startFakeServer(script);
  servers.push(server);
  return server;
}

const transports: [string, () => HttpTransport][] = [
  ["fetch", () => fetchTransport],
  ["node:http", () => nodeTransport()],
];

describe.each(transports)("RegistryClient over %s", (_name, transport) => {
  function client(options: Partial<RegistryClientOptions> = {}) {
    const clock = new InstantClock();
    const calls: [string, number | "error"][] = [];
    const registry = new RegistryClient({
      registries: emptyRegistriesConfig,
      clock,
      random: () => 1,
      onRequest: (host, code) => calls.push([host, code]),
      transportFor: transport,
      ...options,
    });
    return { registry, clock, calls };
  }

  it("resolves a tag with one HEAD accepting exactly the four manifest types", async () => {
    const index = manifestBody("multi", OCI_INDEX);
    const server = await serve(() => manifestReply(index));
    const { registry, calls } = client();
    const result = await registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`));
    expect(result).toEqual({ state: "found", digest: index.digest, resolvedAt: "2024-01-01T00:00:00.000Z" });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["HEAD /v2/demo/app/manifests/v1"]);
    expect(server.requests[0]?.headers.accept).toBe(MANIFEST_ACCEPT);
    expect(MANIFEST_ACCEPT.split(", ")).toEqual([
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json",
    ]);
    expect(calls).toEqual([[server.host, 200]]);
  });

  it("GETs the manifest and hashes its bytes only when Docker-Content-Digest is missing", async () => {
    const manifest = manifestBody("no-header");
    const server = await serve(() => manifestReply(manifest, false));
    const { registry } = client();
    const result = await registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`));
    expect(result).toMatchObject({ state: "found", digest: manifest.digest });
    expect(server.requests.map((r) => r.method)).toEqual(["HEAD", "GET"]);
    expect(server.requests[1]?.headers.accept).toBe(MANIFEST_ACCEPT);
  });

  it("refuses a GET answer of a type that was not asked for", async () => {
    const server = await serve(() => ({
      status: 200,
      headers: { "content-type": "application/vnd.docker.distribution.manifest.v1+prettyjws" },
      body: "{}",
    }));
    const result = await client().registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`));
    expect(result).toMatchObject({ state: "error", error: expect.stringMatching(/manifest\.v1\+prettyjws/) });
  });

  it("says not-found for a 404 that GET confirms, and for NAME_UNKNOWN behind a 401", async () => {
    const server = await serve(() => errorReply(404, "MANIFEST_UNKNOWN"));
    const { registry } = client();
    expect(await registry.resolveTag(parseImageRef(`${server.host}/demo/app:gone`))).toEqual({
      state: "not-found",
      resolvedAt: "2024-01-01T00:00:00.000Z",
    });
    expect(server.requests.map((r) => r.method)).toEqual(["HEAD", "GET"]);
    server.script = () => errorReply(401, "NAME_UNKNOWN");
    expect(await registry.resolveTag(parseImageRef(`${server.host}/demo/nope:v1`))).toMatchObject({
      state: "not-found",
    });
    expect(server.requests.map((r) => r.method)).toEqual(["HEAD", "GET", "HEAD", "GET"]);
  });

  it("takes the manifest GET returns over a 404 to HEAD (a cache or proxy that lies on HEAD)", async () => {
    const manifest = manifestBody("there");
    const server = await serve((request) =>
      request.method === "HEAD" ? errorReply(404, "MANIFEST_UNKNOWN") : manifestReply(manifest),
    );
    const { registry } = client();
    expect(await registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`))).toMatchObject({
      state: "found",
      digest: manifest.digest,
    });
    expect(server.requests.map((r) => r.method)).toEqual(["HEAD", "GET"]);
  });

  it.each([405, 501])("asks with GET when HEAD is refused with %i", async (status) => {
    const manifest = manifestBody(`refused ${status}`);
    const server = await serve((request) => (request.method === "HEAD" ? { status } : manifestReply(manifest)));
    const { registry } = client();
    expect(await registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`))).toMatchObject({
      state: "found",
      digest: manifest.digest,
    });
    expect(server.requests.map((r) => r.method)).toEqual(["HEAD", "GET"]);
  });

  it("does not take a web server's 404 page for a missing tag", async () => {
    const server = await serve(() => ({
      status: 404,
      headers: { "content-type": "text/html" },
      body: "<h1>nope</h1>",
    }));
    const result = await client().registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`));
    expect(result).toMatchObject({ state: "error", error: expect.stringContaining("is http://") });
  });

  it("waits as long as Retry-After says on 429 (seconds) and 503 (HTTP date)", async () => {
    const manifest = manifestBody("after-wait");
    const replies = [
      errorReply(429, "TOOMANYREQUESTS", { "retry-after": "2" }),
      errorReply(503, "UNAVAILABLE", { "retry-after": "Mon, 01 Jan 2024 00:00:07 GMT" }),
      manifestReply(manifest),
    ];
    const server = await serve(() => replies.shift() ?? errorReply(500, "X"));
    const { registry, clock, calls } = client();
    const result = await registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`));
    expect(result).toMatchObject({ state: "found", digest: manifest.digest });
    expect(clock.sleeps).toEqual([2_000, 5_000]);
    expect(calls.map(([, code]) => code)).toEqual([429, 503, 200]);
  });

  it("backs off on 5xx and gives up after the attempts with an error, never not-found", async () => {
    const server = await serve(() => errorReply(502, "BAD_GATEWAY"));
    const { registry, clock } = client();
    const result = await registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`));
    expect(result).toMatchObject({
      state: "error",
      error: expect.stringContaining(`registry ${server.host} answered 502`),
    });
    expect(server.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it("does not wait out a long Retry-After, and leaves the registry alone until then", async () => {
    const server = await serve(() => errorReply(429, "TOOMANYREQUESTS", { "retry-after": "3600" }));
    const { registry, clock } = client();
    const ref = parseImageRef(`${server.host}/demo/app:v1`);
    expect(await registry.resolveTag(ref)).toMatchObject({ state: "error", error: expect.stringContaining("429") });
    expect(await registry.resolveTag(ref)).toMatchObject({
      state: "error",
      error: expect.stringContaining("asked to wait until"),
    });
    expect(server.requests).toHaveLength(1);
    clock.advance(3_600_000);
    server.script = () => manifestReply(manifestBody("later"));
    expect(await registry.resolveTag(ref)).toMatchObject({ state: "found" });
  });

  it("retries a dropped connection, then reports the registry unreachable", async () => {
    const server = await serve(() => "drop");
    const { registry, calls } = client();
    const result = await registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`));
    expect(result).toMatchObject({
      state: "error",
      error: expect.stringContaining(`cannot reach registry ${server.host}`),
    });
    expect(result.state === "error" && result.error).toContain("(3 attempts)");
    expect(calls).toEqual([
      [server.host, "error"],
      [server.host, "error"],
      [server.host, "error"],
    ]);
  });

  it("gives up on a registry that does not answer within the timeout", async () => {
    const server = await serve(() => "hang");
    const { registry } = client({ timeoutMs: 100, retry: { maxAttempts: 2 } });
    const result = await registry.resolveTag(parseImageRef(`${server.host}/demo/app:v1`));
    expect(result).toMatchObject({
      state: "error",
      error: expect.stringContaining("no answer within 100 ms (2 attempts)"),
    });
  });

  it("follows a redirect, dropping Authorization when the origin changes", async () => {
    const manifest = manifestBody("moved");
    const target = await serve(() => manifestReply(manifest));
    const origin = await serve(() => ({
      status: 307,
      headers: { location: `${target.url}/v2/demo/app/manifests/v1` },
    }));
    const config: RegistryHostConfig = { ...defaultHostConfig(origin.host), credentials: undefined };
    const { registry } = client({ registries: { hosts: new Map([[origin.host, config]]) } });
    const result = await registry.resolveTag(parseImageRef(`${origin.host}/demo/app:v1`));
    expect(result).toMatchObject({ state: "found", digest: manifest.digest });
    expect(target.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("sends requests for a mirrored registry to the mirror, with ns= as containerd does", async () => {
    const manifest = manifestBody("mirrored");
    const mirror = await serve(() => manifestReply(manifest));
    const config: RegistryHostConfig = {
      ...defaultHostConfig("docker.io"),
      baseUrl: `${mirror.url}/prefix`,
      mirror: true,
    };
    const { registry, calls } = client({ registries: { hosts: new Map([["docker.io", config]]) } });
    const result = await registry.resolveTag(parseImageRef("nginx"));
    expect(result).toMatchObject({ state: "found", digest: manifest.digest });
    expect(mirror.requests.map((r) => r.path)).toEqual(["/prefix/v2/library/nginx/manifests/latest?ns=docker.io"]);
    expect(calls).toEqual([["docker.io", 200]]);
  });
});

describe("RegistryClient without a network", () => {
  it("talks to registry-1.docker.io for docker.io over HTTPS", async () => {
    const urls: string[] = [];
    const registry = new RegistryClient({
      registries: emptyRegistriesConfig,
      clock: new InstantClock(),
      transportFor: () => async (request) => {
        urls.push(`${request.method} ${request.url}`);
        return {
          status: 200,
          headers: new Headers({ "docker-content-digest": `sha256:${"a".repeat(64)}` }),
          body: Buffer.alloc(0),
        };
      },
    });
    expect(await registry.resolveTag(parseImageRef("busybox:1.36"))).toMatchObject({ state: "found" });
    expect(urls).toEqual(["HEAD https://registry-1.docker.io/v2/library/busybox/manifests/1.36"]);
  });

  it("rejects an invalid Docker-Content-Digest and a digest reference", async () => {
    const registry = new RegistryClient({
      registries: emptyRegistriesConfig,
      clock: new InstantClock(),
      transportFor: () => async () => ({
        status: 200,
        headers: new Headers({ "docker-content-digest": "md5:abc" }),
        body: Buffer.alloc(0),
      }),
    });
    expect(await registry.resolveTag(parseImageRef("127.0.0.1:5000/a:b"))).toMatchObject({
      state: "error",
      error: expect.stringContaining("invalid Docker-Content-Digest"),
    });
    expect(await registry.resolveTag(parseImageRef(`127.0.0.1:5000/a@sha256:${"b".repeat(64)}`))).toMatchObject({
      state: "error",
      error: expect.stringContaining("no tag"),
    });
  });
});
