/**
 * Result rows, the printed table and bench/results/latest.json.
 *
 * A row is `{name, value, unit, peer, peerValue, ratio, target, notes}`.
 * `ratio` is value / peerValue. `target` is null or a string in one of two
 * forms, so that it can be checked by a program: `value <= X` (X in `unit`) or
 * `ratio <= X`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const round = (x) => (typeof x === "number" && Number.isFinite(x) ? Number(x.toPrecision(4)) : x);

/** A result row; `ratio` is computed. */
export function row({ name, value, unit, peer = null, peerValue = null, target = null, notes = "" }) {
  const ratio = typeof value === "number" && typeof peerValue === "number" && peerValue > 0 ? value / peerValue : null;
  return {
    name,
    value: round(value),
    unit,
    peer,
    peerValue: round(peerValue),
    ratio: round(ratio),
    target,
    notes,
  };
}

/** Whether the row meets its target: true, false, or null (no target, or no value). */
export function met(r) {
  if (r.target === null) return null;
  const match = /^(value|ratio) <= ([\d.]+)$/.exec(r.target);
  if (!match) return null;
  const actual = match[1] === "value" ? r.value : r.ratio;
  if (typeof actual !== "number" || !Number.isFinite(actual)) return false;
  return actual <= Number(match[2]);
}

const show = (value, unit) => (value === null || value === undefined ? "-" : `${value}${unit ? ` ${unit}` : ""}`);

export function table(rows) {
  const lines = rows.map((r) => {
    const ok = met(r);
    return [
      r.name,
      show(r.value, r.unit),
      r.peer === null ? "-" : show(r.peerValue, r.unit),
      r.ratio === null ? "-" : `${r.ratio}x`,
      r.target ?? "-",
      ok === null ? "" : ok ? "met" : "MISSED",
    ];
  });
  const header = ["benchmark", "value", "peer", "ratio", "target", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const peers = rows
    .filter((r) => r.peer !== null)
    .map((r) => `  ${r.name}: peer = ${r.peer}`)
    .join("\n");
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...lines.map(fmt), "", "peers:", peers].join("\n");
}

export function writeResults(file, rows) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
}
