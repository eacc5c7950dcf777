/**
 * Times computeFindings (packages/core, built) on synthetic snapshots of
 * COUNT nodes × 300 images, in a process of its own so that the heap is the
 * snapshot's alone. Each repetition gets freshly made inventory objects: the
 * engine caches per inventory object, and a full recompute after every node
 * reported anew starts cold. Prints one JSON line.
 *
 * Usage: node bench/lib/findings-child.mjs COUNT REPS [PROFILE_FILE]
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { computeFindings } from "@imagedrift/core";
import { clusterSnapshot, tagTable } from "./synthetic.mjs";

const [count, reps, profileFile] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const table = tagTable("registry.bench.local:5000", 300);

const cold = [];
const peer = [];
let warm = Number.NaN;
let findings = [];
let jsonBytes = 0;
for (let rep = 0; rep < reps; rep++) {
  let snapshot = clusterSnapshot(count, table);
  let session;
  if (profileFile && rep === 0) {
    session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  let t = performance.now();
  findings = computeFindings(snapshot);
  cold.push(performance.now() - t);
  if (session) {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(profileFile, JSON.stringify(profile));
    session.disconnect();
  }
  if (rep === 0) {
    t = performance.now();
    computeFindings(snapshot);
    warm = performance.now() - t;
  }
  // The peer: serialise the same snapshot once (one string per node: 5,000 nodes exceed V8's longest string).
  t = performance.now();
  jsonBytes = 0;
  for (const inventory of snapshot.inventories.values()) jsonBytes += JSON.stringify(inventory).length;
  jsonBytes += JSON.stringify({ nodes: snapshot.nodes, resolutions: [...snapshot.resolutions] }).length;
  peer.push(performance.now() - t);
  snapshot = undefined;
}
const kinds = {};
for (const f of findings) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
process.stdout.write(
  `${JSON.stringify({ cold, warm, peer, jsonBytes, findings: findings.length, kinds, heapMiB: process.memoryUsage().heapUsed / 1048576 })}\n`,
);
