/**
 * The alert rules (docs/ARCHITECTURE.md#metrics: they ship in deploy/ and pass promtool check rules
 * and promtool test rules): promtool itself, one source for the plain rules
 * file and the PrometheusRule, a firing and a quiet promtool test for every
 * alert, and every series they read defined in the programs' metrics.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { find, type K8sObject, kustomizeOverlay, PROMETHEUS_OPERATOR, repoPath, tool } from "./manifests.js";
import { readMetricCatalog, seriesProblems } from "./metric-catalog.js";
import {
  type AlertRule,
  PROMETHEUS_RULE_FILE,
  parseRuleGroups,
  prometheusRuleYaml,
  RULES_FILE,
  RULES_TEST_FILE,
} from "./prometheus-rule.js";

const rulesYaml = readFileSync(repoPath(RULES_FILE), "utf8");
const groups = parseRuleGroups(rulesYaml);
const alerts: AlertRule[] = groups.flatMap((group) => group.rules);

interface AlertRuleTest {
  alertname: string;
  eval_time: string;
  exp_alerts?: unknown[];
}
interface PromtoolTest {
  name: string;
  alert_rule_test?: AlertRuleTest[];
}

describe("alert rules", () => {
  it("pass promtool check rules", async () => {
    const out = await tool("promtool", ["check", "rules", repoPath(RULES_FILE)]);
    expect(out).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it("pass promtool test rules", async () => {
    const out = await tool("promtool", ["test", "rules", repoPath(RULES_TEST_FILE)]);
    expect(out).toContain("SUCCESS");
  });

  it(`${PROMETHEUS_RULE_FILE} is ${RULES_FILE} wrapped in a PrometheusRule (-u rewrites it)`, async () => {
    await expect(prometheusRuleYaml(rulesYaml)).toMatchFileSnapshot(repoPath(PROMETHEUS_RULE_FILE));
  });

  it(`the PrometheusRule kustomize renders with ${PROMETHEUS_OPERATOR} has exactly the groups of the plain rules file`, async () => {
    const rule = find<K8sObject & { spec: { groups: unknown } }>(
      await kustomizeOverlay({ resources: ["deploy"], components: [PROMETHEUS_OPERATOR] }),
      "PrometheusRule",
      "imagedrift",
    );
    expect(rule.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(rule.metadata.namespace).toBe("imagedrift");
    expect(rule.metadata.labels?.["app.kubernetes.io/part-of"]).toBe("imagedrift");
    expect(rule.spec.groups).toEqual(groups);
  });

  it("every alert has a promtool test where it fires and one where it stays quiet", () => {
    const tests = (parse(readFileSync(repoPath(RULES_TEST_FILE), "utf8")) as { tests: PromtoolTest[] }).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alerts) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert}: no test expects it to fire`,
      ).toBe(true);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert}: no test expects it to stay quiet`,
      ).toBe(true);
    }
    const unknown = cases.map((c) => c.alertname).filter((name) => !alerts.some((a) => a.alert === name));
    expect(unknown, "tests of alerts that do not exist").toEqual([]);
  });

  it("cover what docs/ARCHITECTURE.md#metrics and the deploy brief ask to alert on", () => {
    const exprs = alerts.map((a) => a.expr).join("\n");
    for (const needle of [
      "imagedrift_tag_distinct_digests",
      "imagedrift_tag_stale_nodes",
      'imagedrift_findings{kind="running-stale"}',
      'imagedrift_findings{kind="missing-in-registry"}',
      'imagedrift_nodes{state="missing"}',
      "absent(imagedrift_node_last_report_timestamp_seconds)",
      'imagedrift_registry_requests_total{code=~"5..|error|429"}',
      'increase(imagedrift_jobs_total{state=~"failed|partial"}',
      'up{job="imagedrift-collector"} == 0',
      'absent(up{job="imagedrift-collector"})',
    ]) {
      expect(exprs).toContain(needle);
    }
  });

  it.each(alerts.map((a) => [a.alert, a] as const))("%s: severity, summary, description and runbook", (_, rule) => {
    expect(["critical", "warning", "info"]).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toBeTruthy();
    expect(rule.annotations?.description).toBeTruthy();
    // A command to run: the imagedrift CLI, and kubectl where the problem is the pods themselves.
    expect(rule.annotations?.runbook).toMatch(/^(imagedrift|kubectl) /);
    // The labels the expression keeps (those it does not pin to one value) are named in the texts.
    const pinned = new Set([...rule.expr.matchAll(/(\w+)="/g)].map((m) => m[1]));
    for (const label of [...rule.expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => (m[1] ?? "").split(/,\s*/))) {
      if (label === "le" || pinned.has(label)) continue;
      expect(`${rule.annotations?.summary} ${rule.annotations?.description}`).toContain(`$labels.${label}`);
    }
  });

  it("read only series the agent and the collector define, with labels they have", () => {
    const catalog = readMetricCatalog();
    expect(catalog.size).toBeGreaterThanOrEqual(13);
    expect(alerts.flatMap((a) => seriesProblems(a.expr, catalog))).toEqual([]);
  });
});
