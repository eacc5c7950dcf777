import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ImagedriftError } from "./errors.js";
import type { ImageContainer, NodeImage, NodeInventory } from "./inventory.js";
import type { PrunePolicy } from "./job-types.js";
import {
  createPruneJudge,
  imageMatchesPattern,
  type PrunePlanInput,
  planPrune,
  protectionReason,
} from "./prune-plan.js";

const H = "127.0.0.1:5000";
const NOW = new Date("2025-06-01T12:00:00Z");
const id = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "d")}`;

function container(state: ImageContainer["state"], pod = "web"): ImageContainer {
  return { id: `c-${pod}-${state}`, pod, namespace: "shop", container: "app", state, podUid: "u", image: "" };
}

function image(n: number, fields: Partial<NodeImage> = {}): NodeImage {
  const containers = fields.containers ?? [];
  return {
    id: id(n),
    repoTags: [],
    repoDigests: [],
    size: 1000 * n,
    pinned: false,
    sandbox: false,
    inUse: containers.length > 0,
    containers,
    ...fields,
  };
}

function inventory(images: NodeImage[], usedBytes = 0): NodeInventory {
  return {
    node: "n1",
    runtime: { name: "containerd", version: "1.6.20", apiVersion: "v1" },
    scannedAt: NOW.toISOString(),
    images,
    pods: [],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes, inodesUsed: null },
  };
}

function plan(images: NodeImage[], policy: PrunePolicy, extra: Partial<PrunePlanInput> = {}) {
  return planPrune({
    inventory: inventory(images),
    policy,
    protect: [],
    lastUsed: {},
    staleImageIds: [],
    now: NOW,
    capacityBytes: null,
    recoverability: { recoverable: images.map((i) => i.id), allow: false },
    ...extra,
  });
}

const removedIds = (p: ReturnType<typeof planPrune>) => p.remove.map((c) => c.image.id);
const keptReasons = (p: ReturnType<typeof planPrune>) => Object.fromEntries(p.keep.map((k) => [k.id, k.reason]));

const tagged = image(1, { repoTags: [`${H}/app/web:1`], repoDigests: [`${H}/app/web@${digest(1)}`] });
const dangling = image(2, { repoDigests: [`${H}/app/web@${digest(2)}`] });
const running = image(3, { repoTags: [`${H}/app/api:1`], containers: [container("running")] });
const created = image(4, { repoDigests: [`${H}/app/old@${digest(4)}`], containers: [container("created", "db")] });
const exited = image(5, { repoTags: [`${H}/app/job:1`], containers: [container("exited", "cron")] });
const pinned = image(6, { repoTags: [`${H}/app/pinned:1`], pinned: true });
const pause = image(7, { repoTags: [`${H}/pause:3.9`], sandbox: true });
const local = image(8, { repoTags: [`${H}/local/built:dev`] });
const all = [tagged, dangling, running, created, exited, pinned, pause, local];

describe("planPrune modes", () => {
  it("dangling removes only untagged images nothing uses", () => {
    const p = plan(all, { mode: "dangling" });
    expect(removedIds(p)).toEqual([dangling.id]);
    expect(p.remove[0]?.reason).toBe("dangling (no tag), unused");
    expect(keptReasons(p)).toEqual({ [created.id]: "in use by shop/db (app, created)" });
  });

  it("unused keeps images with containers in any state, pinned and sandbox images, and lists why", () => {
    const p = plan(all, { mode: "unused" });
    expect(removedIds(p).sort()).toEqual([tagged.id, dangling.id, local.id].sort());
    expect(keptReasons(p)).toEqual({
      [running.id]: "in use by shop/web (app, running)",
      [created.id]: "in use by shop/db (app, created)",
      [exited.id]: "in use by shop/cron (app, exited)",
      [pinned.id]: "pinned",
      [pause.id]: "sandbox image",
    });
  });

  it("the sandbox image stays even when no sandbox exists and it is not in use", () => {
    expect(pause.inUse).toBe(false);
    expect(removedIds(plan([pause], { mode: "unused" }))).toEqual([]);
  });

  it("an image in use with an empty container list (inUse only) is kept", () => {
    const odd = image(9, { repoTags: [`${H}/x:1`], inUse: true });
    expect(keptReasons(plan([odd], { mode: "unused" }))).toEqual({ [odd.id]: "in use" });
  });

  it("stale removes only the images named stale", () => {
    const p = plan(all, { mode: "stale" }, { staleImageIds: [tagged.id, running.id] });
    expect(removedIds(p)).toEqual([tagged.id]);
    expect(keptReasons(p)).toEqual({ [running.id]: "in use by shop/web (app, running)" });
  });
});

describe("planPrune patterns, keep-list and protect", () => {
  it.each([
    [`${H}/app/*`, [tagged.id, dangling.id]],
    [`${H}/app/web:*`, [tagged.id]],
    [`${H}/app/web@sha256:*`, [tagged.id, dangling.id]],
    [`${H}/**`, [tagged.id, dangling.id, local.id]],
    ["*/local/**", [local.id]],
    [`${H}/local/built:dev`, [local.id]],
    [`${H}/local`, []],
  ])("include %s", (pattern, expected) => {
    expect(removedIds(plan(all, { mode: "unused", include: [pattern] })).sort()).toEqual([...expected].sort());
  });

  it("exclude keeps what it matches, with the pattern as reason", () => {
    const p = plan(all, { mode: "unused", exclude: [`${H}/app/**`] });
    expect(removedIds(p)).toEqual([local.id]);
    expect(keptReasons(p)[tagged.id]).toBe(`excluded: ${H}/app/**`);
  });

  it("the keep-list wins over include, and a tagless pattern matches a dangling image by its digest's repository", () => {
    const p = plan(all, { mode: "unused", include: [`${H}/**`], keep: [`${H}/app/web`] });
    expect(removedIds(p)).toEqual([local.id]);
    expect(keptReasons(p)[dangling.id]).toBe(`keep-list: ${H}/app/web`);
  });

  it("Docker Hub patterns are normalised like references", () => {
    const nginx = image(10, { repoTags: ["docker.io/library/nginx:1.25"] });
    const mine = image(11, { repoTags: ["docker.io/me/app:1"] });
    expect(imageMatchesPattern(nginx, "nginx:*")).toBe(true);
    expect(imageMatchesPattern(nginx, "nginx")).toBe(true);
    expect(imageMatchesPattern(nginx, "index.docker.io/library/nginx:1.25")).toBe(true);
    expect(imageMatchesPattern(mine, "me/*")).toBe(true);
    expect(imageMatchesPattern(mine, "nginx")).toBe(false);
    expect(imageMatchesPattern(mine, "*/me/app:1")).toBe(true);
    // `*` stays within a segment; `**` crosses them.
    expect(imageMatchesPattern(mine, "docker.io/*")).toBe(false);
    expect(imageMatchesPattern(mine, "docker.io/**")).toBe(true);
  });

  it("regex metacharacters in a pattern are literal", () => {
    expect(imageMatchesPattern(tagged, "127.0.0.1:5000/app/web:.")).toBe(false);
    expect(imageMatchesPattern(image(12, { repoTags: ["a.b/c:1"] }), "a.b/c:1")).toBe(true);
    expect(imageMatchesPattern(image(12, { repoTags: ["axb/c:1"] }), "a.b/c:1")).toBe(false);
  });

  it("protect keeps images by tag, by repo digest and by id, in any spelling of the reference", () => {
    const p = plan(all, { mode: "unused" }, { protect: [`${H}/app/web:1`, `${H}/app/web@${digest(2)}`, local.id] });
    expect(removedIds(p)).toEqual([]);
    expect(keptReasons(p)[tagged.id]).toBe(`wanted by a prepull: ${H}/app/web:1`);
    expect(keptReasons(p)[dangling.id]).toBe(`wanted by a prepull: ${H}/app/web@${digest(2)}`);
    expect(keptReasons(p)[local.id]).toBe(`wanted by a prepull: ${local.id}`);
    const hub = image(13, { repoTags: ["docker.io/library/nginx:latest"] });
    expect(removedIds(plan([hub], { mode: "unused" }, { protect: ["nginx"] }))).toEqual([]);
  });

  it("rejects an invalid protect reference or pattern", () => {
    expect(() => plan(all, { mode: "unused" }, { protect: ["Not A Ref"] })).toThrow(/protect: "Not A Ref"/);
    expect(() => plan(all, { mode: "unused", keep: [""] })).toThrow(ImagedriftError);
    expect(() => plan(all, { mode: "unused", include: ["a b"] })).toThrow(/invalid image pattern "a b"/);
  });

  it("protectionReason applies only the never-remove rules", () => {
    expect(protectionReason(tagged)).toBeNull();
    expect(protectionReason(exited)).toBe("in use by shop/cron (app, exited)");
    expect(protectionReason(pause)).toBe("sandbox image");
    expect(protectionReason(tagged, { keep: [`${H}/app/**`] })).toBe(`keep-list: ${H}/app/**`);
  });
});

describe("planPrune olderThan and targetUsagePercent", () => {
  const day = 86_400_000;
  const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

  it("olderThan removes images unused for long enough and keeps those without history", () => {
    const lastUsed = { [tagged.id]: ago(10 * day), [local.id]: ago(day) };
    const p = plan(all, { mode: "unused", olderThanMs: 7 * day }, { lastUsed });
    expect(removedIds(p)).toEqual([tagged.id]);
    expect(p.remove[0]?.reason).toBe("unused for 10d");
    expect(keptReasons(p)[local.id]).toBe("used 1d ago, within 7d");
    expect(keptReasons(p)[dangling.id]).toBe("no record of its last use: its age is unknown");
  });

  it("targetUsagePercent without the filesystem's capacity is a failed precondition", () => {
    try {
      plan(all, { mode: "unused", targetUsagePercent: 50 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ImagedriftError);
      expect((error as ImagedriftError).code).toBe("failed-precondition");
      expect((error as ImagedriftError).message).toContain("cannot see the image filesystem's capacity");
    }
  });

  it("targetUsagePercent removes least recently used first until usage is below the target", () => {
    const a = image(20, { repoTags: [`${H}/a:1`], size: 300 });
    const b = image(21, { repoTags: [`${H}/b:1`], size: 300 });
    const c = image(22, { repoTags: [`${H}/c:1`], size: 300 });
    const d = image(23, { repoTags: [`${H}/d:1`], size: 300 });
    const lastUsed = { [a.id]: ago(1 * day), [b.id]: ago(3 * day), [c.id]: ago(2 * day) };
    // 1,000 used of 1,000: 50% = 500 bytes; removing b then c brings it to 400.
    const p = planPrune({
      inventory: inventory([a, b, c, d], 1000),
      policy: { mode: "unused", targetUsagePercent: 50 },
      protect: [],
      lastUsed,
      staleImageIds: [],
      now: NOW,
      capacityBytes: 1000,
      recoverability: { recoverable: [], allow: true },
    });
    expect(p.targetBytes).toBe(500);
    expect(removedIds(p)).toEqual([b.id, c.id]);
    expect(p.remove[0]?.reason).toBe("unused; least recently used above 50%");
    expect(keptReasons(p)).toEqual({
      [a.id]: "image filesystem below 50% without it",
      [d.id]: "image filesystem below 50% without it",
    });
  });

  it("targetUsagePercent removes nothing when usage is already below the target", () => {
    const p = planPrune({
      inventory: inventory([tagged], 100),
      policy: { mode: "unused", targetUsagePercent: 80 },
      protect: [],
      lastUsed: {},
      staleImageIds: [],
      now: NOW,
      capacityBytes: 1000,
      recoverability: { recoverable: [], allow: true },
    });
    expect(removedIds(p)).toEqual([]);
    expect(p.targetBytes).toBe(800);
  });
});

describe("planPrune never removes what must stay (property)", () => {
  const repos = ["app/web", "app/api", "tools/x", "pause"];
  const imageArb = (n: number) =>
    fc
      .record({
        tags: fc.subarray(["1", "2", "latest"]),
        repo: fc.constantFrom(...repos),
        digested: fc.boolean(),
        containers: fc.subarray(["created", "running", "exited"] as const),
        pinned: fc.boolean(),
        sandbox: fc.boolean(),
        size: fc.nat(5000),
      })
      .map(
        (r): NodeImage =>
          image(n + 1, {
            repoTags: r.tags.map((t) => `${H}/${r.repo}:${t}`),
            repoDigests: r.digested ? [`${H}/${r.repo}@${digest(n + 1)}`] : [],
            containers: r.containers.map((s) => container(s, `p${n}`)),
            pinned: r.pinned,
            sandbox: r.sandbox,
            size: r.size,
          }),
      );
  const nodeArb = fc
    .integer({ min: 0, max: 12 })
    .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => imageArb(i))))
    .map((images) => images as NodeImage[]);

  /** Keep patterns with a predicate written independently of the planner's glob. */
  const keepArb = fc.subarray([
    { pattern: `${H}/app/*`, hit: (i: NodeImage) => names(i).some((n) => /^127\.0\.0\.1:5000\/app\/[^/]+$/.test(n)) },
    { pattern: `${H}/tools/x:1`, hit: (i: NodeImage) => i.repoTags.includes(`${H}/tools/x:1`) },
    { pattern: `${H}/**`, hit: (i: NodeImage) => names(i).length > 0 },
  ]);
  const names = (i: NodeImage) => [...i.repoTags, ...i.repoDigests].map((r) => r.split(/[:@](?=[^/]*$)/)[0] ?? r);

  it("with any policy, no removed image has containers, is pinned, sandbox, keep-listed or protected, and each fits the mode", () => {
    fc.assert(
      fc.property(
        nodeArb,
        fc.constantFrom("dangling", "unused", "stale" as const),
        keepArb,
        fc.subarray([`${H}/app/web:1`, `${H}/tools/x:latest`, id(3)]),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 5 * 86_400_000 }), { nil: undefined }),
        fc.func(fc.boolean()),
        fc.record({ served: fc.func(fc.boolean()), allow: fc.boolean() }),
        (images, mode, keep, protect, targetUsagePercent, olderThanMs, pick, registry) => {
          const stale = images.filter((_, i) => pick(i)).map((i) => i.id);
          // Which images a registry serves: drawn, written independently of the collector's rule.
          const served = images.filter((_, i) => registry.served(i)).map((i) => i.id);
          const recoverability = { recoverable: served, allow: registry.allow };
          const lastUsed = Object.fromEntries(
            images
              .filter((_, i) => i % 2 === 0)
              .map((im, i) => [im.id, new Date(NOW.getTime() - i * 3_600_000).toISOString()]),
          );
          const policy: PrunePolicy = {
            mode,
            keep: keep.map((k) => k.pattern),
            ...(targetUsagePercent === undefined ? {} : { targetUsagePercent }),
            ...(olderThanMs === undefined ? {} : { olderThanMs }),
          };
          const p = planPrune({
            inventory: inventory(images, 20_000),
            policy,
            protect,
            lastUsed,
            staleImageIds: stale,
            now: NOW,
            capacityBytes: 40_000,
            recoverability,
          });
          const judge = createPruneJudge({
            policy,
            protect,
            lastUsed,
            staleImageIds: stale,
            now: NOW,
            recoverability,
          });
          for (const { image: im } of p.remove) {
            // A possible only copy goes only when the job allows it.
            expect(registry.allow || served.includes(im.id)).toBe(true);
            expect(im.containers).toEqual([]);
            expect(im.inUse || im.pinned || im.sandbox).toBe(false);
            expect(keep.some((k) => k.hit(im))).toBe(false);
            expect(protect.some((r) => im.id === r || im.repoTags.includes(r))).toBe(false);
            if (mode === "dangling") expect(im.repoTags).toEqual([]);
            if (mode === "stale") expect(stale).toContain(im.id);
            if (olderThanMs !== undefined) expect(lastUsed[im.id]).toBeDefined();
            expect(judge(im).action).toBe("remove");
          }
          const ids = new Set(p.remove.map((c) => c.image.id));
          expect(ids.size).toBe(p.remove.length);
          for (const k of p.keep) expect(ids.has(k.id)).toBe(false);
        },
      ),
      { seed: 20250601, numRuns: 500 },
    );
  });
});
