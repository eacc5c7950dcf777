/**
 * deploy/grafana/imagedrift-dashboard.json: a well-formed dashboard whose every
 * query is valid PromQL (promtool checks them as recording rules) and reads
 * only series the programs define; together the panels show every docs/ARCHITECTURE.md#metrics metric.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { repoPath, tool } from "./manifests.js";
import { readMetricCatalog, seriesIn, seriesProblems } from "./metric-catalog.js";

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(repoPath("deploy/grafana/imagedrift-dashboard.json"), "utf8")) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string }[] };
};
const panels = dashboard.panels.filter((p) => p.type !== "row");
/** Grafana's reference to the dashboard's data source variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template literal.
const DATASOURCE_UID = "${datasource}";
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

/** Grafana's macros, as a 1m scrape interval would expand them. */
const expandMacros = (expr: string) => expr.replaceAll("$__rate_interval", "2m").replaceAll("$__range", "6h");

/** docs/ARCHITECTURE.md#metrics, contract. */
const SPEC_METRICS = [
  "imagedrift_agent_images",
  "imagedrift_agent_image_bytes",
  "imagedrift_agent_imagefs_used_bytes",
  "imagedrift_agent_cri_request_duration_seconds",
  "imagedrift_agent_cri_errors_total",
  "imagedrift_agent_last_scan_timestamp_seconds",
  "imagedrift_nodes",
  "imagedrift_node_last_report_timestamp_seconds",
  "imagedrift_tag_distinct_digests",
  "imagedrift_tag_stale_nodes",
  "imagedrift_findings",
  "imagedrift_registry_requests_total",
  "imagedrift_jobs_total",
];

describe("Grafana dashboard", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagedrift-dashboard-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has a uid, a Prometheus data source variable, and every query on it", () => {
    expect(dashboard.uid).toBe("imagedrift");
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }),
    );
    expect(queries.length).toBeGreaterThan(10);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: DATASOURCE_UID });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe(DATASOURCE_UID);
    }
  });

  it("lays panels out on the 24-column grid without overlaps, with unique ids", () => {
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const { title, gridPos: g } of dashboard.panels) {
      expect(g.x + g.w, title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps another panel at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it("queries only series the agent and the collector define, with labels they have", () => {
    const catalog = readMetricCatalog();
    expect(queries.flatMap((q) => seriesProblems(q.expr, catalog).map((p) => `${q.panel}: ${p}`))).toEqual([]);
  });

  it("shows every docs/ARCHITECTURE.md#metrics metric", () => {
    const used = new Set(
      queries.flatMap((q) => seriesIn(q.expr).map((s) => s.series.replace(/_(bucket|sum|count)$/, ""))),
    );
    expect(SPEC_METRICS.filter((name) => !used.has(name))).toEqual([]);
  });

  it("has queries that are valid PromQL (promtool check rules)", async () => {
    const file = join(dir, "dashboard-queries.yaml");
    const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: expandMacros(q.expr) }));
    writeFileSync(file, stringify({ groups: [{ name: "dashboard", rules }] }));
    const out = await tool("promtool", ["check", "rules", file]);
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});
