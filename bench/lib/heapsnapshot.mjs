/**
 * What a V8 heap snapshot (.heapsnapshot, e.g. from --heapsnapshot-signal)
 * holds, by node type and constructor name: self size and count, largest
 * first. Strings are counted together. Keep snapshots under ~400 MB: the
 * file is parsed as one JSON text.
 *
 * Usage: node bench/lib/heapsnapshot.mjs FILE.heapsnapshot [top]
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function summarizeHeap(file, top = 25) {
  const snapshot = JSON.parse(readFileSync(file, "utf8"));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const { nodes, strings } = snapshot;
  const groups = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    const size = nodes[i + sizeAt];
    total += size;
    const name =
      type === "string" || type === "concatenated string" || type === "sliced string"
        ? "(strings)"
        : `${type}: ${strings[nodes[i + nameAt]].slice(0, 60)}`;
    const g = groups.get(name) ?? { size: 0, count: 0 };
    g.size += size;
    g.count += 1;
    groups.set(name, g);
  }
  const rows = [...groups]
    .sort((a, b) => b[1].size - a[1].size)
    .slice(0, top)
    .map(([name, g]) => ({ name, mib: g.size / 1048576, count: g.count, share: g.size / total }));
  return { totalMiB: total / 1048576, rows };
}

export function formatHeap({ totalMiB, rows }) {
  return [
    `heap snapshot: ${totalMiB.toFixed(1)} MiB of objects (self sizes)`,
    ...rows.map(
      (r) =>
        `  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.mib.toFixed(1).padStart(7)} MiB  ${String(r.count).padStart(9)}  ${r.name}`,
    ),
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node bench/lib/heapsnapshot.mjs FILE.heapsnapshot [top]");
    process.exit(2);
  }
  console.log(formatHeap(summarizeHeap(file, Number(top ?? 25))));
}
