import { describe, expect, it } from "vitest";
import { digest, found, notFound, resolveFailed, snapshot } from "./drift.fake.js";
import { planPrune } from "./prune-plan.js";
import { ONLY_COPY, recoverabilityFacts } from "./recoverability.js";
import { computeTagViews } from "./tag-view.js";

const H = "127.0.0.1:5000";
const id = (hex: string) => `sha256:${hex.repeat(64)}`;

/** One node holding the seeds' kinds of images, each with what its registry says. */
const scene = snapshot({
  nodes: {
    n1: [
      { id: id("1"), tags: [`${H}/shop/web:latest`], digests: [`${H}/shop/web@${digest("a")}`] },
      { id: id("2"), tags: [`${H}/shop/api:stable`], digests: [`${H}/shop/api@${digest("b")}`] },
      { id: id("3"), tags: [`${H}/shop/legacy:1.0`], digests: [`${H}/shop/legacy@${digest("c")}`] },
      { id: id("4"), tags: [`${H}/shop/tools:dev`] },
      { id: id("5"), tags: [`${H}/down/x:1`], digests: [`${H}/down/x@${digest("e")}`] },
      // Dangling, but its digest is what another tag of its repository serves now.
      { id: id("6"), digests: [`${H}/shop/web@${digest("a")}`] },
      // Dangling, its digest no tag serves: nobody asked the registry about it.
      { id: id("7"), digests: [`${H}/shop/web@${digest("f")}`] },
    ],
  },
  resolutions: {
    [`${H}/shop/web:latest`]: found(digest("a")),
    [`${H}/shop/api:stable`]: found(digest("9")),
    [`${H}/shop/legacy:1.0`]: notFound,
    [`${H}/down/x:1`]: resolveFailed,
  },
});

describe("recoverabilityFacts", () => {
  const inventory = scene.inventories.get("n1");
  const facts = recoverabilityFacts("n1", inventory?.images ?? [], computeTagViews(scene));

  it("counts an image recoverable only when a registry serves one of its digests now", () => {
    expect(facts.recoverable).toEqual([id("1"), id("6")]);
  });

  it("names why each other image may be the only copy", () => {
    expect(facts.unrecoverable).toEqual({
      [id("2")]:
        `maybe the only copy: ${H}/shop/api:stable now points at ${digest("9").slice(0, 19)}; whether the registry still has this image's digest is not known`,
      [id("3")]: `${ONLY_COPY} (its registry answers 404 for ${H}/shop/legacy:1.0)`,
      [id("4")]: `${ONLY_COPY} (never pushed: no repo digest)`,
      [id("5")]: `maybe the only copy: registry unresolved for ${H}/down/x:1 (dial tcp: connection refused)`,
      [id("7")]: "maybe the only copy: no registry was asked whether it still has this image",
    });
  });

  it("every prune policy keeps those images, with the reason, unless unrecoverable images are allowed", () => {
    const input = {
      inventory: inventory ?? scene.inventories.values().next().value,
      protect: [],
      lastUsed: {},
      staleImageIds: [id("2")],
      now: scene.now,
      capacityBytes: null,
    };
    if (input.inventory === undefined) throw new Error("no inventory");
    for (const mode of ["unused", "dangling", "stale"] as const) {
      const kept = planPrune({
        ...input,
        inventory: input.inventory,
        policy: { mode },
        recoverability: { ...facts, allow: false },
      });
      for (const { image } of kept.remove) expect(facts.recoverable).toContain(image.id);
      for (const k of kept.keep) expect(k.reason).toBe(facts.unrecoverable[k.id]);
    }
    const unused = planPrune({
      ...input,
      inventory: input.inventory,
      policy: { mode: "unused" },
      recoverability: { ...facts, allow: false },
    });
    expect(unused.remove.map((c) => c.image.id)).toEqual([id("1"), id("6")]);
    expect(unused.keep.find((k) => k.id === id("4"))?.reason).toBe(`${ONLY_COPY} (never pushed: no repo digest)`);
    const allowed = planPrune({
      ...input,
      inventory: input.inventory,
      policy: { mode: "unused" },
      recoverability: { ...facts, allow: true },
    });
    expect(allowed.remove).toHaveLength(7);
  });

  it("without facts (a one-shot run), every image is kept: unknown, or never pushed", () => {
    if (inventory === undefined) throw new Error("no inventory");
    const plan = planPrune({
      inventory,
      policy: { mode: "unused" },
      protect: [],
      lastUsed: {},
      staleImageIds: [],
      now: scene.now,
      capacityBytes: null,
      recoverability: { recoverable: [], allow: false },
    });
    expect(plan.remove).toEqual([]);
    expect(plan.keep.find((k) => k.id === id("4"))?.reason).toBe(`${ONLY_COPY} (never pushed: no repo digest)`);
    expect(plan.keep.find((k) => k.id === id("1"))?.reason).toMatch(/^maybe the only copy: no registry was asked/);
  });
});
