/**
 * The resolver against the real docker-registry behind a proxy that breaks
 * one repository or lies about HEAD: a failing repository is that
 * repository's trouble, never its host's, and a tag is missing-in-registry
 * only when GET says so too.
 */
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistriesConfig, TagResolver } from "../../packages/collector/src/registry/index.js";
import { type Lab, startLab } from "../lab/index.js";
import { type CountingProxy, type ProxyFault, startCountingProxy } from "./counting-proxy.js";
import { registriesConfigFile } from "./helpers.js";

const INTERVAL = 5 * 60_000;

let lab: Lab;
const proxies: CountingProxy[] = [];
beforeAll(async () => {
  lab = await startLab({ nodes: 0 });
});
afterAll(async () => {
  await Promise.allSettled(proxies.map((p) => p.close()));
  await lab?.stop();
});

/** A proxy with `fault` in front of the lab registry, and the registries config that sends the resolver through it. */
async function behindProxy(fault: ProxyFault): Promise<{ proxy: CountingProxy; registries: RegistriesConfig }> {
  const proxy = await startCountingProxy(lab.registry.url, fault);
  proxies.push(proxy);
  const dir = await mkdtemp(join(lab.dir, "cfg-"));
  const registries = await registriesConfigFile(
    dir,
    `registries:\n  - host: "${lab.registry.host}"\n    mirror: ${proxy.url}\n    requestsPerSecond: 100\n`,
  );
  return { proxy, registries };
}

describe("one broken repository on a slow registry", () => {
  it("leaves the host's 10 healthy tags resolved in the first round, the moved one at its new digest", async () => {
    const healthy = Array.from({ length: 10 }, (_, i) => `healthy/app${i}:1`);
    await Promise.all(healthy.map((t) => lab.buildAndPush(t, { salt: t })));
    const brokenTags = ["broken/app:1", "broken/app:2", "broken/app:3", "broken/app:4"];
    await Promise.all(brokenTags.map((t) => lab.buildAndPush(t, { salt: t })));
    const movedTo = await lab.buildAndPush("healthy/app9:1", { salt: "healthy/app9:1 moved" });
    const { registries } = await behindProxy({
      delayMs: 400,
      answer: (_method, path) => (path.startsWith("/v2/broken/") ? 500 : undefined),
    });
    const resolver = new TagResolver({ registries, resolveIntervalMs: INTERVAL });
    const broken = brokenTags.map((t) => lab.ref(t));
    const tags = healthy.map((t) => lab.ref(t));
    const results = await resolver.resolve([...broken, ...tags]);
    for (const tag of broken) {
      expect(results.get(tag)).toMatchObject({ state: "error", error: expect.stringContaining("answered 500") });
    }
    expect(tags.map((tag) => results.get(tag)?.state)).toEqual(tags.map(() => "found"));
    expect(results.get(lab.ref("healthy/app9:1"))).toMatchObject({ state: "found", digest: movedTo });
  });
});

describe("a 404 or a refusal to HEAD", () => {
  it("is checked with GET: a tag the registry has is found, not missing", async () => {
    const digest = await lab.buildAndPush("lied/app:1", { salt: "lied" });
    const { proxy, registries } = await behindProxy({
      answer: (method, path) => (method === "HEAD" && path.startsWith("/v2/lied/") ? 404 : undefined),
    });
    const resolver = new TagResolver({ registries, resolveIntervalMs: INTERVAL });
    const tag = lab.ref("lied/app:1");
    expect((await resolver.resolve([tag])).get(tag)).toMatchObject({ state: "found", digest });
    expect(proxy.seen).toEqual(["HEAD /v2/lied/app/manifests/1", "GET /v2/lied/app/manifests/1"]);
  });

  it.each([405, 501])("falls back to GET when HEAD is refused with %i", async (status) => {
    const digest = await lab.buildAndPush(`nohead${status}/app:1`, { salt: `nohead ${status}` });
    const { registries } = await behindProxy({ answer: (method) => (method === "HEAD" ? status : undefined) });
    const resolver = new TagResolver({ registries, resolveIntervalMs: INTERVAL });
    const tag = lab.ref(`nohead${status}/app:1`);
    expect((await resolver.resolve([tag])).get(tag)).toMatchObject({ state: "found", digest });
  });

  it("says not-found when GET confirms the 404 of a deleted tag", async () => {
    await lab.buildAndPush("deleted/app:1", { salt: "deleted" });
    await lab.deleteTag("deleted/app:1");
    const { proxy, registries } = await behindProxy({});
    const resolver = new TagResolver({ registries, resolveIntervalMs: INTERVAL });
    const tag = lab.ref("deleted/app:1");
    expect((await resolver.resolve([tag])).get(tag)).toMatchObject({ state: "not-found" });
    expect(proxy.seen).toEqual(["HEAD /v2/deleted/app/manifests/1", "GET /v2/deleted/app/manifests/1"]);
  });
});
