import type { NodeImage, NodeInventory } from "@imagedrift/core";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";
import { FindingStore } from "./finding-store.js";
import { migrate, migrations } from "./migrations.js";
import { NodeStore } from "./node-store.js";
import { TagStore } from "./tag-store.js";

const hex = (c: string) => c.repeat(64);
const T0 = new Date("2026-11-01T00:00:00Z");
const T1 = new Date("2026-11-01T00:05:00Z");

function image(id: string, tags: string[], digests: string[], over: Partial<NodeImage> = {}): NodeImage {
  return {
    id: `sha256:${hex(id)}`,
    repoTags: tags,
    repoDigests: digests,
    size: 100,
    pinned: false,
    sandbox: false,
    inUse: false,
    containers: [],
    ...over,
  };
}

function inventory(node: string, images: NodeImage[]): NodeInventory {
  return {
    node,
    runtime: { name: "containerd", version: "1.6.20", apiVersion: "v1" },
    scannedAt: T0.toISOString(),
    images,
    pods: [{ id: "p1", name: "web-1", namespace: "shop", uid: "u1", state: "ready" }],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: 5000, inodesUsed: null },
  };
}

const app = (digest: string, id = "a") =>
  image(id, ["reg.example/app:latest"], [`reg.example/app@sha256:${hex(digest)}`], {
    inUse: true,
    containers: [
      {
        id: "c1",
        pod: "web-1",
        namespace: "shop",
        container: "web",
        state: "running",
        podUid: "u1",
        image: "reg.example/app:latest",
      },
    ],
  });

function stores() {
  const db = openDatabase(":memory:");
  return { db, nodes: new NodeStore(db), tags: new TagStore(db), findings: new FindingStore(db) };
}

describe("migrations", () => {
  it("apply once and record their version", () => {
    const { db } = stores();
    expect(db.prepare("SELECT max(version) AS v FROM schema_migrations").get()).toEqual({ v: migrations.length });
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
  });
});

describe("NodeStore", () => {
  it("stores a node's inventory and gives it back whole", () => {
    const { nodes } = stores();
    nodes.hello("n1", { agentVersion: "0.1.0", intervalMs: 60_000, labels: { zone: "a" } }, T0);
    const inv = inventory("n1", [app("1"), image("p", ["reg.example/pause:3.9"], [], { sandbox: true })]);
    const result = nodes.save(inv, "sha256:h1", T0);
    expect(result.changedTags).toEqual(["reg.example/app:latest", "reg.example/pause:3.9"]);
    // The node, its two shared images and its inventory row.
    expect(result.rowsWritten).toBe(4);
    const back = nodes.inventories().get("n1");
    expect(back?.images).toEqual(expect.arrayContaining(inv.images));
    expect(back?.pods).toEqual(inv.pods);
    expect(nodes.get("n1")).toMatchObject({
      inventoryHash: "sha256:h1",
      imageCount: 2,
      imageBytes: 200,
      labels: { zone: "a" },
    });
  });

  it("records tag history when a node's digest for a tag moves (its first inventory is the baseline)", () => {
    const { db, nodes } = stores();
    nodes.hello("n1", { agentVersion: "0.1.0", intervalMs: 60_000, labels: {} }, T0);
    nodes.save(inventory("n1", [app("1")]), "h1", T0);
    expect(nodes.save(inventory("n1", [app("1")]), "h1", T1).changedTags).toEqual([]);
    expect(nodes.save(inventory("n1", [app("2", "b")]), "h2", T1).changedTags).toEqual(["reg.example/app:latest"]);
    const history = db.prepare("SELECT old_digest, new_digest, changed_at FROM tag_history ORDER BY id").all();
    expect(history).toEqual([
      { old_digest: `sha256:${hex("1")}`, new_digest: `sha256:${hex("2")}`, changed_at: T1.toISOString() },
    ]);
    expect(nodes.lastUsed("n1")).toEqual(new Map([[`sha256:${hex("b")}`, T1.toISOString()]]));
  });

  it("keeps first sight and last use across saves and a reopening, and shares images between nodes", () => {
    const { db, nodes } = stores();
    for (const n of ["n1", "n2"]) nodes.hello(n, { agentVersion: "0.1.0", intervalMs: 60_000, labels: {} }, T0);
    const idle = image("c", ["reg.example/tool:1"], [`reg.example/tool@sha256:${hex("c")}`]);
    nodes.save(inventory("n1", [app("1"), idle]), "h1", T0);
    nodes.save(inventory("n2", [idle]), "h1", T0);
    nodes.save(inventory("n1", [{ ...app("1"), inUse: false, containers: [] }, idle]), "h2", T1);
    expect(db.prepare("SELECT count(*) AS n FROM images").get()).toEqual({ n: 3 });
    const reopened = new NodeStore(db);
    expect(reopened.lastUsed("n1")).toEqual(
      new Map([
        [`sha256:${hex("a")}`, T0.toISOString()],
        [`sha256:${hex("c")}`, T0.toISOString()],
      ]),
    );
    expect(reopened.inventories().get("n1")?.images[1]).toBe(reopened.inventories().get("n2")?.images[0]);
    expect(reopened.inventories().get("n1")).toEqual(nodes.inventories().get("n1"));
    // The image row that no node holds any more (app in use) is gone.
    expect(db.prepare("SELECT count(*) AS n FROM images").get()).toEqual({ n: 2 });
  });

  it("keeps the previous inventory whole when a save fails half-way", () => {
    const { db, nodes } = stores();
    nodes.hello("n1", { agentVersion: "0.1.0", intervalMs: 60_000, labels: {} }, T0);
    nodes.save(inventory("n1", [app("1")]), "h1", T0);
    db.exec("CREATE TRIGGER fail BEFORE INSERT ON tag_history BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
    expect(() => nodes.save(inventory("n1", [app("2", "b")]), "h2", T1)).toThrow(/disk trouble/);
    expect(() => nodes.save(inventory("n1", [app("1"), app("1")]), "h2", T1)).toThrow(/image "[^"]+" is listed twice/);
    expect(nodes.get("n1")?.inventoryHash).toBe("h1");
    expect(
      nodes
        .inventories()
        .get("n1")
        ?.images.map((i) => i.id),
    ).toEqual([`sha256:${hex("a")}`]);
    expect(new NodeStore(db).inventories().get("n1")).toEqual(nodes.inventories().get("n1"));
  });
});

describe("migration 3", () => {
  it("carries the per-row inventories of migration 1 over into one row per node", () => {
    const db = new BetterSqlite3(":memory:");
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT");
    for (const [i, sql] of migrations.slice(0, 2).entries()) {
      db.exec(sql as string);
      db.prepare("INSERT INTO schema_migrations VALUES (?, ?)").run(i + 1, T0.toISOString());
    }
    db.exec(`INSERT INTO nodes (name, interval_ms, first_seen_at, last_report_at, scanned_at)
        VALUES ('n1', 60000, '${T0.toISOString()}', '${T0.toISOString()}', '${T0.toISOString()}');
      INSERT INTO node_images VALUES ('n1', 'sha256:${hex("a")}', '["reg.example/app:latest"]',
        '["reg.example/app@sha256:${hex("1")}"]', 100, 0, 0, 1, '${T0.toISOString()}');
      INSERT INTO node_containers VALUES ('n1', 'c1', 'sha256:${hex("a")}', 'web-1', 'shop', 'web', 'running', 'u1',
        'reg.example/app:latest');
      INSERT INTO node_pods VALUES ('n1', 'p1', 'web-1', 'shop', 'u1', 'ready');
      INSERT INTO image_usage VALUES ('n1', 'sha256:${hex("a")}', '${T1.toISOString()}');`);
    migrate(db);
    const nodes = new NodeStore(db);
    expect(nodes.inventories().get("n1")?.images).toEqual([app("1")]);
    expect(nodes.inventories().get("n1")?.pods).toEqual(inventory("n1", []).pods);
    expect(nodes.lastUsed("n1")).toEqual(new Map([[`sha256:${hex("a")}`, T1.toISOString()]]));
    expect(nodes.get("n1")).toMatchObject({ imageCount: 1, imageBytes: 100 });
  });
});

describe("TagStore", () => {
  it("keeps the last resolution of each tag", () => {
    const { tags } = stores();
    tags.save(
      new Map([
        ["reg.example/app:latest", { state: "found", digest: "sha256:x", resolvedAt: T0.toISOString() } as const],
      ]),
    );
    tags.save(
      new Map([
        ["reg.example/app:latest", { state: "error", error: "timeout", resolvedAt: T1.toISOString() } as const],
      ]),
    );
    expect(tags.all().get("reg.example/app:latest")).toEqual({
      state: "error",
      error: "timeout",
      resolvedAt: T1.toISOString(),
    });
  });

  it("keeps why the registry was asked with the answer; a row from before the cause was kept has none", () => {
    const { tags, db } = stores();
    const at = T0.toISOString();
    tags.save(new Map([["reg.example/app:1", { state: "not-found", resolvedAt: at, resolvedBy: "event" } as const]]));
    db.prepare(
      "INSERT INTO tags (reference, state, registry_digest, resolved_at) VALUES ('reg.example/app:2', 'found', 'sha256:y', ?)",
    ).run(at);
    expect(tags.all().get("reg.example/app:1")).toEqual({ state: "not-found", resolvedAt: at, resolvedBy: "event" });
    expect(tags.all().get("reg.example/app:2")).toEqual({ state: "found", digest: "sha256:y", resolvedAt: at });
    // The column takes core's causes only.
    expect(() =>
      db.prepare("UPDATE tags SET resolved_by = 'guess' WHERE reference = 'reg.example/app:2'").run(),
    ).toThrow(/CHECK constraint/);
  });
});

describe("FindingStore", () => {
  const draft = (key: string) => ({
    key,
    kind: "stale-tag" as const,
    severity: "warning" as const,
    reference: "reg.example/app:latest",
    nodes: ["n1"],
    digests: ["sha256:x"],
    registryDigest: "sha256:y",
    message: "m",
    remedy: "r",
    pods: [],
  });

  it("keeps firstSeenAt while a finding lasts and drops it when it clears", () => {
    const { findings } = stores();
    expect(findings.replace([draft("a")], T0)).toEqual({ opened: 1, closed: 0 });
    expect(findings.replace([draft("a"), draft("b")], T1)).toEqual({ opened: 1, closed: 0 });
    expect(findings.list().find((f) => f.key === "a")).toMatchObject({
      firstSeenAt: T0.toISOString(),
      lastSeenAt: T1.toISOString(),
    });
    expect(findings.replace([draft("b")], T1)).toEqual({ opened: 0, closed: 1 });
    expect(findings.list().map((f) => f.key)).toEqual(["b"]);
  });
});

describe("NodeStore.save with an image listed twice", () => {
  it("refuses it with an error naming the image, and stores nothing", () => {
    const { nodes } = stores();
    nodes.hello("n1", { agentVersion: "0.1.0", intervalMs: 60_000, labels: {} }, T0);
    nodes.save(inventory("n1", [app("1")]), "h1", T0);
    expect(() => nodes.save(inventory("n1", [app("2", "b"), app("1"), app("1")]), "h2", T1)).toThrow(
      `the inventory of n1 is not valid: image "sha256:${hex("a")}" is listed twice`,
    );
    expect(nodes.get("n1")?.inventoryHash).toBe("h1");
    expect(nodes.inventory("n1")?.images.map((i) => i.id)).toEqual([`sha256:${hex("a")}`]);
  });
});
