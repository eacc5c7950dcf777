/**
 * The collector's own recompute at cluster scale, in a process of its own:
 * N synthetic inventories go through the built DriftService and NodeStore (an
 * SQLite file in a temporary directory) with every tag resolved; then
 *
 * - restart: a new DriftService over the same stores, whose first recompute
 *   is a full one (every tag and node), as after a collector restart;
 * - one node: a new inventory for one node (one drifting tag moved), and the
 *   incremental recompute that follows;
 * - the peer: computeFindings (core) on the same inventories and resolutions.
 *
 * Usage: node bench/lib/recompute-child.mjs N  (prints one JSON line)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DriftService } from "../../packages/collector/dist/drift/index.js";
import { CollectorMetrics } from "../../packages/collector/dist/metrics.js";
import { FindingStore, NodeStore, openDatabase, TagStore } from "../../packages/collector/dist/store/index.js";
import { computeFindings, silentLogger } from "../../packages/core/dist/index.js";
import { nodeInventory, tagTable } from "./synthetic.mjs";

const count = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(join(tmpdir(), "imagedrift-recompute-"));
try {
  const table = tagTable("127.0.0.1:5000", 300);
  const at = new Date().toISOString();
  const answers = new Map(table.map((t) => [t.ref, { state: "found", digest: t.current, resolvedAt: at }]));
  const db = openDatabase(join(dir, "c.db"));
  const nodes = new NodeStore(db);
  const tags = new TagStore(db);
  const service = () =>
    new DriftService({
      nodes,
      tags,
      findings: new FindingStore(db),
      resolver: {
        resolve: async (asked) => new Map(asked.flatMap((t) => (answers.has(t) ? [[t, answers.get(t)]] : []))),
      },
      metrics: new CollectorMetrics({ processMetrics: false }),
      log: silentLogger,
      resolveIntervalMs: 3_600_000,
    });
  let drift = service();
  for (let i = 0; i < count; i++) {
    const inventory = nodeInventory(i, table, at);
    drift.hello(inventory.node, {
      agentVersion: "bench",
      intervalMs: 60_000,
      inventoryHash: "",
      labels: {},
    });
    drift.inventory(inventory, `hash-${i}`);
  }
  await drift.resolveNow();
  drift.recompute();
  await drift.stop();

  const restart = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    drift = service();
    restart.push(performance.now() - t0);
    await drift.stop();
  }
  drift = service();
  const oneNode = [];
  for (let r = 0; r < 5; r++) {
    // Node r pulls the other digest of a drifting tag.
    const moved = table.map((tag) =>
      tag.drifting ? { ...tag, current: tag.old, old: tag.current, currentId: tag.oldId, oldId: tag.currentId } : tag,
    );
    const inventory = nodeInventory(r, r % 2 === 0 ? moved : table, at);
    const t0 = performance.now();
    drift.inventory(inventory, `moved-${r}`);
    drift.recompute();
    oneNode.push(performance.now() - t0);
  }
  const findings = drift.findings().length;
  await drift.stop();

  const snapshot = {
    now: new Date(),
    nodes: nodes.states(),
    inventories: nodes.inventories(),
    resolutions: tags.all(),
  };
  const peer = [];
  for (let r = 0; r < 2; r++) {
    const t0 = performance.now();
    computeFindings(snapshot);
    peer.push(performance.now() - t0);
  }
  console.log(JSON.stringify({ restart, oneNode, peer, findings, heapMiB: process.memoryUsage().heapUsed / 1048576 }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
