import type { TagResolution } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { resolvePushed } from "./push-recheck.js";

const d = (hex: string) => `sha256:${hex.repeat(64)}`;
const found = (digest: string): TagResolution => ({ state: "found", digest, resolvedAt: "2026-01-01T00:00:00Z" });

/** A registry that answers the previous digest `lag` times before the pushed one, as docker-registry 2.8 can. */
function lagging(lag: Record<string, number>, pushed: Record<string, string>) {
  const asked: string[][] = [];
  const answers = new Map<string, TagResolution>();
  return {
    asked,
    answer: (tag: string) => answers.get(tag),
    resolve: async (tags: readonly string[]) => {
      asked.push([...tags]);
      for (const tag of tags) {
        const left = lag[tag] ?? 0;
        lag[tag] = left - 1;
        answers.set(tag, found(left > 0 ? d("0") : (pushed[tag] ?? d("0"))));
      }
    },
  };
}

describe("resolvePushed", () => {
  it("asks again only the tags whose answer is not the pushed digest yet, until it is", async () => {
    const registry = lagging({ a: 2, b: 0 }, { a: d("a"), b: d("b") });
    const pushed = new Map([
      ["a", d("a")],
      ["b", d("b")],
    ]);
    await resolvePushed({ ...registry, pushed, delaysMs: [0, 0, 0, 0] });
    expect(registry.asked).toEqual([["a", "b"], ["a"], ["a"]]);
    expect(registry.answer("a")).toEqual(found(d("a")));
  });

  it("stops after the last delay when the registry keeps answering another digest (a newer push, a wrong hint)", async () => {
    const registry = lagging({ a: 99 }, { a: d("a") });
    await resolvePushed({ ...registry, pushed: new Map([["a", d("a")]]), delaysMs: [0, 0, 0] });
    expect(registry.asked).toHaveLength(4);
  });

  it("asks once a tag whose event named no digest (a delete, Docker Hub)", async () => {
    const registry = lagging({ a: 1 }, {});
    await resolvePushed({ ...registry, pushed: new Map([["a", null]]), delaysMs: [0, 0] });
    expect(registry.asked).toEqual([["a"]]);
  });

  it("stops waiting when aborted (the collector stops)", async () => {
    const registry = lagging({ a: 99 }, { a: d("a") });
    const stopping = new AbortController();
    const done = resolvePushed({
      ...registry,
      pushed: new Map([["a", d("a")]]),
      delaysMs: [60_000],
      signal: stopping.signal,
    });
    stopping.abort();
    await done;
    expect(registry.asked).toHaveLength(1);
  });
});
