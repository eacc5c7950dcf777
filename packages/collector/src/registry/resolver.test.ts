import { afterEach, describe, expect, it, vi } from "vitest";
import { InstantClock } from "./clock.fake.js";
import {
  errorReply,
  type FakeServer,
  manifestBody,
  manifestReply,
  type Reply,
  type Script,
  startFakeServer,
} from "./fake-registry.fake.js";
import { defaultHostConfig, emptyRegistriesConfig } from "./registry-host.js";
import { TagResolver, type TagResolverOptions } from "./resolver.js";

const MINUTE = 60_000;
const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(script: Script): Promise<FakeServer> {
  const server = await startFakeServer(script);
  servers.push(server);
  return server;
}

/** A registry where every tag exists, its digest derived from the path. */
const everyTagExists: Script = (request) => manifestReply(manifestBody(request.path));

function resolver(options: Partial<TagResolverOptions> = {}) {
  const metrics = new Map<string, number>();
  const clock = new InstantClock();
  const tagResolver = new TagResolver({
    registries: emptyRegistriesConfig,
    resolveIntervalMs: 5 * MINUTE,
    clock,
    random: () => 0,
    onRequest: (registry, code) => metrics.set(`${registry} ${code}`, (metrics.get(`${registry} ${code}`) ?? 0) + 1),
    ...options,
  });
  return { tagResolver, metrics, clock };
}

describe("TagResolver", () => {
  it("asks once per distinct tag per interval, however many nodes hold it and however concurrently", async () => {
    const server = await serve(everyTagExists);
    const { tagResolver, metrics } = resolver();
    const tags = ["a:1", "a:2", "b:1"].map((t) => `${server.host}/demo/${t}`);
    const t0 = new Date("2024-01-01T00:00:00Z");
    const nodes = Array.from({ length: 50 }, () => tagResolver.resolve([...tags, ...tags], t0));
    const results = await Promise.all(nodes);
    expect(server.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      "HEAD /v2/demo/a/manifests/1",
      "HEAD /v2/demo/a/manifests/2",
      "HEAD /v2/demo/b/manifests/1",
    ]);
    for (const result of results) {
      expect([...result.keys()].sort()).toEqual([...tags].sort());
      expect(result.get(tags[0] ?? "")).toEqual({
        state: "found",
        digest: manifestBody("/v2/demo/a/manifests/1").digest,
        resolvedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    }
    await tagResolver.resolve(tags, new Date(t0.getTime() + 5 * MINUTE - 1001));
    expect(server.requests).toHaveLength(3);
    // The next periodic tick, a few ms short of a whole interval after this one's batch: asked again.
    await tagResolver.resolve(tags, new Date(t0.getTime() + 5 * MINUTE - 7));
    expect(server.requests).toHaveLength(6);
    expect(metrics).toEqual(new Map([[`${server.host} 200`, 6]]));
  });

  it("asks a fresh tag (a registry said it was pushed) now, within the interval; the others stay cached", async () => {
    const server = await serve(everyTagExists);
    const { tagResolver } = resolver();
    const [pushed, other] = ["a:1", "b:1"].map((t) => `${server.host}/demo/${t}`) as [string, string];
    const t0 = new Date("2024-01-01T00:00:00Z");
    await tagResolver.resolve([pushed, other], t0);
    expect(server.requests).toHaveLength(2);
    const later = new Date(t0.getTime() + MINUTE);
    await Promise.all([
      tagResolver.resolve([pushed, other], later, new Set([pushed])),
      tagResolver.resolve([pushed], later, new Set([pushed])),
    ]);
    // One more HEAD, for the pushed tag only: concurrent asks share it.
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "HEAD /v2/demo/a/manifests/1",
      "HEAD /v2/demo/b/manifests/1",
      "HEAD /v2/demo/a/manifests/1",
    ]);
  });

  it("answers a fresh ask that came during a request started before it with a request sent after that one", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let heads = 0;
    const server = await serve(async (request) => {
      heads += 1;
      if (heads === 1) await held; // the registry answered this one before the push
      return manifestReply(manifestBody(`${request.path}#${heads}`));
    });
    const { tagResolver } = resolver();
    const pushed = `${server.host}/demo/a:1`;
    const t0 = new Date("2024-01-01T00:00:00Z");
    const poll = tagResolver.resolve([pushed], t0);
    await vi.waitUntil(() => heads === 1);
    const at = new Date(t0.getTime() + 1);
    // Two notifications and a poll while the first request is under way.
    const events = [1, 2].map(() => tagResolver.resolve([pushed], at, new Set([pushed])));
    const samePoll = tagResolver.resolve([pushed], at);
    release();
    const [before, again, ...after] = await Promise.all([poll, samePoll, ...events]);
    const first = manifestBody("/v2/demo/a/manifests/1#1").digest;
    const second = manifestBody("/v2/demo/a/manifests/1#2").digest;
    expect(before.get(pushed)).toMatchObject({ digest: first });
    expect(again.get(pushed)).toMatchObject({ digest: first });
    for (const answer of after) expect(answer.get(pushed)).toMatchObject({ digest: second });
    // The notifications share one request after the first; the cache holds its answer.
    expect(server.requests).toHaveLength(2);
    expect(tagResolver.lastResolution(pushed)).toMatchObject({ digest: second });
    const cached = await tagResolver.resolve([pushed], new Date(t0.getTime() + 2));
    expect(cached.get(pushed)).toMatchObject({ digest: second });
    expect(server.requests).toHaveLength(2);
  });

  it("keeps a job's askNow answer for the interval, the newest there is: the next resolve sends nothing", async () => {
    let heads = 0;
    const server = await serve((request) => {
      heads += 1;
      return manifestReply(manifestBody(`${request.path}#${heads}`));
    });
    const { tagResolver, clock } = resolver();
    const tag = `${server.host}/demo/a:1`;
    const t0 = new Date(clock.now());
    await tagResolver.resolve([tag], t0);
    const asked = await tagResolver.askNow(tag);
    expect(asked).toMatchObject({ digest: manifestBody("/v2/demo/a/manifests/1#2").digest });
    const next = await tagResolver.resolve([tag], new Date(t0.getTime() + MINUTE));
    expect(next.get(tag)).toMatchObject({ digest: manifestBody("/v2/demo/a/manifests/1#2").digest });
    expect(server.requests).toHaveLength(2);
  });

  it("keeps not-found and error results for the interval too", async () => {
    const server = await serve(() => errorReply(404, "MANIFEST_UNKNOWN"));
    const { tagResolver } = resolver();
    const tag = `${server.host}/demo/gone:1`;
    const t0 = new Date("2024-01-01T00:00:00Z");
    expect((await tagResolver.resolve([tag], t0)).get(tag)).toMatchObject({ state: "not-found" });
    server.script = () => "drop";
    const later = new Date(t0.getTime() + 6 * MINUTE);
    expect((await tagResolver.resolve([tag], later)).get(tag)).toMatchObject({ state: "error" });
    const count = server.requests.length;
    expect((await tagResolver.resolve([tag], new Date(later.getTime() + MINUTE))).get(tag)).toMatchObject({
      state: "error",
    });
    expect(server.requests).toHaveLength(count);
    expect(tagResolver.lastResolution(tag)).toMatchObject({ state: "error" });
  });

  it("stops asking a registry that is down for the rest of the round; other registries go on", async () => {
    const down = await serve(() => "drop");
    const up = await serve(everyTagExists);
    const registries = { hosts: new Map([[down.host, { ...defaultHostConfig(down.host), maxConcurrentRequests: 1 }]]) };
    const { tagResolver, metrics } = resolver({ registries });
    const downTags = Array.from({ length: 10 }, (_, i) => `${down.host}/demo/app:${i}`);
    const upTag = `${up.host}/demo/app:1`;
    const result = await tagResolver.resolve([...downTags, upTag], new Date("2024-01-01T00:00:00Z"));
    expect(down.requests).toHaveLength(3); // one tag, three attempts
    expect(metrics.get(`${down.host} error`)).toBe(3);
    expect(result.get(upTag)).toMatchObject({ state: "found" });
    expect(result.get(downTags[0] ?? "")).toMatchObject({
      state: "error",
      error: expect.stringContaining(`cannot reach registry ${down.host}`),
    });
    expect(result.get(downTags[9] ?? "")).toMatchObject({
      state: "error",
      error: expect.stringMatching(/demo\/app:9: not asked: registry .* is not answering/),
    });
    expect(downTags.every((tag) => result.get(tag)?.state === "error")).toBe(true);
  });

  it("keeps asking a registry whose one repository fails: a 5xx, 404 or 401 is that repository's", async () => {
    const answers: Record<string, Reply> = {
      broken: errorReply(500, "UNKNOWN"),
      gone: errorReply(404, "NAME_UNKNOWN"),
      locked: errorReply(401, "UNAUTHORIZED"),
    };
    const server = await serve((request) => {
      const repository = request.path.split("/")[2] ?? "";
      return answers[repository] ?? manifestReply(manifestBody(request.path));
    });
    const registries = {
      hosts: new Map([[server.host, { ...defaultHostConfig(server.host), maxConcurrentRequests: 1 }]]),
    };
    const { tagResolver } = resolver({ registries });
    const failing = ["broken", "gone", "locked"].map((repository) => `${server.host}/${repository}/app:1`);
    const healthy = Array.from({ length: 10 }, (_, i) => `${server.host}/healthy${i}/app:1`);
    const result = await tagResolver.resolve([...failing, ...healthy], new Date("2024-01-01T00:00:00Z"));
    expect(result.get(failing[0] ?? "")).toMatchObject({ state: "error", error: expect.stringContaining("500") });
    expect(result.get(failing[1] ?? "")).toMatchObject({ state: "not-found" });
    expect(result.get(failing[2] ?? "")).toMatchObject({ state: "error", error: expect.stringContaining("401") });
    expect(healthy.map((tag) => result.get(tag)?.state)).toEqual(healthy.map(() => "found"));
  });

  it("calls a registry down after timeouts on two repositories, not on one", async () => {
    const server = await serve((request) =>
      request.path.startsWith("/v2/slow") ? "hang" : manifestReply(manifestBody(request.path)),
    );
    const registries = {
      hosts: new Map([[server.host, { ...defaultHostConfig(server.host), maxConcurrentRequests: 1 }]]),
    };
    const { tagResolver } = resolver({ registries, timeoutMs: 50, retry: { maxAttempts: 1 } });
    const oneSlow = [`${server.host}/slow1/app:1`, `${server.host}/slow1/app:2`, `${server.host}/fine/app:1`];
    const first = await tagResolver.resolve(oneSlow, new Date("2024-01-01T00:00:00Z"));
    expect(first.get(oneSlow[2] ?? "")).toMatchObject({ state: "found" });
    const twoSlow = [`${server.host}/slow2/app:1`, `${server.host}/slow3/app:1`, `${server.host}/fine/app:2`];
    const second = await tagResolver.resolve(twoSlow, new Date("2024-01-01T01:00:00Z"));
    expect(second.get(twoSlow[2] ?? "")).toMatchObject({
      state: "error",
      error: expect.stringMatching(/not asked: registry .* is not answering/),
    });
  });

  it("answers an invalid reference with an error and no request", async () => {
    const { tagResolver, metrics } = resolver();
    const result = await tagResolver.resolve([
      "127.0.0.1:1/Upper/Case:1",
      `127.0.0.1:1/demo/app@sha256:${"a".repeat(64)}`,
    ]);
    expect(result.get("127.0.0.1:1/Upper/Case:1")).toMatchObject({
      state: "error",
      error: expect.stringContaining("must be lowercase"),
    });
    expect(result.get(`127.0.0.1:1/demo/app@sha256:${"a".repeat(64)}`)).toMatchObject({
      state: "error",
      error: expect.stringContaining("no tag"),
    });
    expect(metrics.size).toBe(0);
  });

  it("forgets tags nobody asked for in two intervals", async () => {
    const server = await serve(everyTagExists);
    const { tagResolver } = resolver();
    const [old, fresh] = [`${server.host}/demo/old:1`, `${server.host}/demo/fresh:1`];
    const t0 = Date.parse("2024-01-01T00:00:00Z");
    await tagResolver.resolve([old, fresh], new Date(t0));
    await tagResolver.resolve([fresh], new Date(t0 + 6 * MINUTE));
    await tagResolver.resolve([fresh], new Date(t0 + 11 * MINUTE));
    expect(tagResolver.lastResolution(old)).toBeUndefined();
    expect(tagResolver.lastResolution(fresh)).toMatchObject({ state: "found" });
  });
});
