/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and names where the time went:
 * self time per function (file:line), and total time (self + callees) per
 * function, over the samples of the profile.
 *
 * Usage: node bench/lib/cpuprofile.mjs FILE.cpuprofile [top]
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const shortUrl = (url) => url.replace(/^file:\/\//, "").replace(/^.*\/(packages|node_modules|test|bench)\//, "$1/");

/**
 * `{ totalMs, busyMs, self: [{fn, ms, share}], total: [{fn, ms, share}] }`, each sorted, `top` long,
 * shares of the busy (not idle) time. `window` ([fromUs, toUs] of CLOCK_MONOTONIC, as
 * `process.hrtime.bigint() / 1000n` reads it in any process of the machine) keeps only its samples.
 */
export function summarize(file, top = 15, window = null) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const { functionName, url, lineNumber } = n.callFrame;
    if (!url) return `(${functionName || "anonymous"})`;
    return `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}`;
  };
  const self = new Map();
  const total = new Map();
  const deltas = profile.timeDeltas ?? [];
  let totalUs = 0;
  let busyUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += deltas[i] ?? 0;
    if (window && (at < window[0] || at > window[1])) return;
    const us = deltas[i + 1] ?? deltas[i] ?? 0;
    totalUs += us;
    const node = byId.get(id);
    if (!node) return;
    if (node.callFrame.functionName === "(idle)") return;
    busyUs += us;
    self.set(label(node), (self.get(label(node)) ?? 0) + us);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const name = label(byId.get(at));
      if (seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + us);
    }
  });
  const list = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000), share: Number((us / busyUs).toFixed(3)) }));
  return {
    totalMs: Math.round(totalUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    self: list(self),
    total: list(total),
  };
}

export function formatSummary(summary, title = "profile") {
  const lines = [
    `${title}: ${summary.totalMs} ms sampled, ${summary.busyMs} ms busy (shares below are of the busy time)`,
    "  self time:",
  ];
  for (const s of summary.self) lines.push(`    ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.ms} ms  ${s.fn}`);
  lines.push("  total time (self + callees):");
  for (const s of summary.total) lines.push(`    ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.ms} ms  ${s.fn}`);
  return lines.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node bench/lib/cpuprofile.mjs FILE.cpuprofile [top]");
    process.exit(2);
  }
  console.log(describeProfile(file, Number(top ?? 20)));
}

/** The whole profile, then each window named in FILE.windows.json (written by the bench) on its own. */
export function describeProfile(file, top = 25) {
  const parts = [formatSummary(summarize(file, top), "whole process")];
  const windowsFile = file.replace(/\.cpuprofile$/, ".windows.json");
  if (existsSync(windowsFile)) {
    for (const [name, window] of Object.entries(JSON.parse(readFileSync(windowsFile, "utf8")))) {
      parts.push(formatSummary(summarize(file, top, window), `window "${name}"`));
    }
  }
  return parts.join("\n\n");
}
