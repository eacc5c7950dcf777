/**
 * The tag resolver against the real docker-registry (distribution 2.8) of the
 * lab: digests equal what was pushed (the index digest for a multi-arch tag),
 * deleted and never-pushed tags are not-found, a stopped registry leaves its
 * tags unresolved, and 50 nodes holding the same 3 tags cost 3 HEADs per
 * resolve interval, counted by a proxy in front of the registry.
 */
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  emptyRegistriesConfig,
  type RequestObserver,
  TagResolver,
  type TagResolverOptions,
} from "../../packages/collector/src/registry/index.js";
import { type Lab, OCI_INDEX, OCI_MANIFEST, pushImage, startLab, startRegistry } from "../lab/index.js";
import { startCountingProxy } from "./counting-proxy.js";
import { registriesConfigFile } from "./helpers.js";

const INTERVAL = 5 * 60_000;

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ nodes: 0 });
});
afterAll(async () => {
  await lab?.stop();
});

function resolver(options: Partial<TagResolverOptions> = {}): TagResolver {
  return new TagResolver({ registries: emptyRegistriesConfig, resolveIntervalMs: INTERVAL, ...options });
}

async function resolveOne(tag: string, tagResolver = resolver()) {
  return (await tagResolver.resolve([tag])).get(tag);
}

describe("TagResolver against docker-registry", () => {
  it("resolves a single-platform tag to the digest the lab pushed", async () => {
    const image = await lab.build({ salt: "single" });
    const digest = await lab.push(image, "demo/single:1");
    expect(image.mediaType).toBe(OCI_MANIFEST);
    expect(await resolveOne(lab.ref("demo/single:1"))).toEqual({
      state: "found",
      digest,
      resolvedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
    });
  });

  it("resolves a multi-platform tag to the index digest, never a platform manifest's", async () => {
    const image = await lab.build({
      salt: "multi",
      platforms: [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64" },
      ],
    });
    const digest = await lab.push(image, "demo/multi:1");
    expect(image.mediaType).toBe(OCI_INDEX);
    const result = await resolveOne(lab.ref("demo/multi:1"));
    expect(result).toMatchObject({ state: "found", digest: image.digest });
    expect(digest).toBe(image.digest);
    expect(image.manifests.map((m) => m.digest)).not.toContain(image.digest);
  });

  it("says not-found for a deleted tag and for a repository that was never pushed", async () => {
    await lab.buildAndPush("demo/gone:1", { salt: "gone" });
    await lab.deleteTag("demo/gone:1");
    const tagResolver = resolver();
    const [gone, never] = [lab.ref("demo/gone:1"), lab.ref("demo/never-pushed:1")];
    const results = await tagResolver.resolve([gone, never]);
    expect(results.get(gone)).toMatchObject({ state: "not-found" });
    expect(results.get(never)).toMatchObject({ state: "not-found" });
  });

  it("asks the registry once per distinct tag per interval when 50 nodes hold the same 3 tags", async () => {
    const repoTags = ["demo/shared-a:1", "demo/shared-a:2", "demo/shared-b:1"];
    const digests = await Promise.all(repoTags.map((t) => lab.buildAndPush(t, { salt: t })));
    const tags = repoTags.map((t) => lab.ref(t));
    const proxy = await startCountingProxy(lab.registry.url);
    try {
      const dir = await mkdtemp(join(lab.dir, "cfg-"));
      const registries = await registriesConfigFile(
        dir,
        `registries:\n  - host: "${lab.registry.host}"\n    mirror: ${proxy.url}\n    requestsPerSecond: 50\n`,
      );
      const codes: string[] = [];
      const onRequest: RequestObserver = (registry, code) => codes.push(`${registry} ${code}`);
      const tagResolver = resolver({ registries, onRequest });
      const t0 = Date.now();
      const reports = (at: number) =>
        Promise.all(Array.from({ length: 50 }, () => tagResolver.resolve(tags, new Date(at))));

      const first = await reports(t0);
      expect(proxy.count("HEAD")).toBe(3);
      for (const report of first) {
        expect(tags.map((tag) => report.get(tag))).toEqual(
          digests.map((digest) => ({ state: "found", digest, resolvedAt: expect.any(String) })),
        );
      }
      await reports(t0 + 60_000);
      // The periodic resolve may ask a second early (its tick's slack, docs/ARCHITECTURE.md), not sooner.
      await reports(t0 + INTERVAL - 1_001);
      expect(proxy.count("HEAD")).toBe(3);
      await reports(t0 + INTERVAL);
      expect(proxy.count("HEAD")).toBe(6);
      expect(proxy.seen.filter((s) => !s.startsWith("HEAD /v2/demo/shared-"))).toEqual([]);
      expect(codes).toEqual(Array.from({ length: 6 }, () => `${lab.registry.host} 200`));
    } finally {
      await proxy.close();
    }
  });

  it("leaves the tags of a stopped registry unresolved, never not-found", async () => {
    const registry = await startRegistry({ dir: join(lab.dir, "doomed") });
    let stopped = false;
    try {
      const image = await lab.build({ salt: "doomed" });
      await pushImage({ image, destination: `${registry.host}/demo/app:1` });
      const tag = `${registry.host}/demo/app:1`;
      const tagResolver = resolver({ retry: { baseDelayMs: 20 } });
      const t0 = Date.now();
      expect((await tagResolver.resolve([tag], new Date(t0))).get(tag)).toMatchObject({
        state: "found",
        digest: image.digest,
      });
      await registry.stop();
      stopped = true;
      const result = (await tagResolver.resolve([tag], new Date(t0 + INTERVAL))).get(tag);
      expect(result).toMatchObject({
        state: "error",
        error: expect.stringContaining(`${tag}: cannot reach registry ${registry.host} at http://${registry.host}`),
      });
      expect(result?.state === "error" && result.error).toMatch(/ECONNREFUSED/);
    } finally {
      if (!stopped) await registry.stop();
    }
  });
});
