import { describe, expect, it } from "vitest";
import type { NodeImageItem, TagView } from "./api-types.js";
import { filterTags } from "./filters.js";
import { buildNamespaceIndex, repositoryOf } from "./namespaces.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const tag = (reference: string, status: TagView["status"], digest: string): TagView => ({
  reference,
  registryDigest: null,
  resolvedAt: null,
  resolveError: null,
  resolvedBy: null,
  status,
  nodes: [{ node: "n1", digest, imageId: d("f"), status: "unknown" }],
});
const tags = [
  tag("reg.example/shop/web:latest", "inconsistent", d("a")),
  tag("reg.example/shop/api:stable", "stale", d("b")),
  tag("reg.example/base/runtime:3", "current", d("c")),
];
const refs = (list: TagView[]) => list.map((t) => t.reference.split("/").slice(1).join("/"));

describe("filterTags", () => {
  it("filters by status, drift (anything but current and unresolved), text and digest prefix", () => {
    expect(refs(filterTags(tags, { status: "stale", text: "", namespace: "" }, null))).toEqual(["shop/api:stable"]);
    expect(refs(filterTags(tags, { status: "drift", text: "", namespace: "" }, null))).toEqual([
      "shop/web:latest",
      "shop/api:stable",
    ]);
    expect(refs(filterTags(tags, { status: "", text: " SHOP/ ", namespace: "" }, null))).toHaveLength(2);
    expect(refs(filterTags(tags, { status: "", text: "sha256:cccc", namespace: "" }, null))).toEqual([
      "base/runtime:3",
    ]);
  });

  it("filters by namespace once the namespace's tags are known, and shows nothing before", () => {
    const only = new Set(["reg.example/shop/api:stable"]);
    expect(refs(filterTags(tags, { status: "", text: "", namespace: "shop" }, only))).toEqual(["shop/api:stable"]);
    expect(filterTags(tags, { status: "", text: "", namespace: "shop" }, null)).toEqual([]);
  });
});

describe("buildNamespaceIndex", () => {
  it("finds a container's tag by repoTags, or by the repo digest once the tag moved on", () => {
    const container = (namespace: string) => ({
      id: "c",
      pod: "p",
      namespace,
      container: "c",
      state: "running" as const,
    });
    const image = (repoTags: string[], repoDigests: string[], namespaces: string[]): NodeImageItem => ({
      id: d("9"),
      repoTags,
      repoDigests,
      size: 1,
      pinned: false,
      inUse: namespaces.length > 0,
      containers: namespaces.map(container),
    });
    const index = buildNamespaceIndex(
      new Map([
        [
          "n1",
          [image([], [`reg.example/shop/web@${d("a")}`], ["shop"]), image(["reg.example/base/runtime:3"], [], [])],
        ],
        ["n2", [image(["reg.example/shop/api:stable"], [], ["billing", "shop"])]],
      ]),
      tags,
    );
    expect(index.namespaces).toEqual(["billing", "shop"]);
    expect([...(index.tagsByNamespace.get("shop") ?? [])].sort()).toEqual([
      "reg.example/shop/api:stable",
      "reg.example/shop/web:latest",
    ]);
    expect(repositoryOf("127.0.0.1:5000/shop/web:latest")).toBe("127.0.0.1:5000/shop/web");
    expect(repositoryOf("127.0.0.1:5000/shop/web")).toBe("127.0.0.1:5000/shop/web");
  });
});
