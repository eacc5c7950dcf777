/**
 * One source of truth for the alert rules: deploy/prometheus/rules.yaml (a plain
 * rules file, what promtool checks and tests).
 * deploy/components/prometheus-operator/prometheus-rule.yaml is that file's
 * groups wrapped in a PrometheusRule, text for text (comments kept), written
 * by rules.test.ts through a file snapshot:
 *   npx vitest run --project lab test/deploy/rules.test.ts -u
 */
import { parse } from "yaml";

export const RULES_FILE = "deploy/prometheus/rules.yaml";
export const RULES_TEST_FILE = "deploy/prometheus/rules.test.yaml";
export const PROMETHEUS_RULE_FILE = "deploy/components/prometheus-operator/prometheus-rule.yaml";

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export function parseRuleGroups(rulesYaml: string): RuleGroup[] {
  const groups = (parse(rulesYaml) as { groups?: RuleGroup[] } | null)?.groups;
  if (!groups) throw new Error(`${RULES_FILE} has no groups`);
  return groups;
}

const HEADER = `# GENERATED from ${RULES_FILE} by test/deploy/rules.test.ts: edit that file, then run
#   npx vitest run --project lab test/deploy/rules.test.ts -u
# The same rule groups for the Prometheus Operator. Your Prometheus may select PrometheusRules by
# label (kube-prometheus-stack: release=<its release name>): add it from an overlay.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: imagedrift
  namespace: imagedrift
  labels:
    app.kubernetes.io/name: imagedrift
    app.kubernetes.io/part-of: imagedrift
spec:
`;

/** rules.yaml from its `groups:` line on, indented under `spec:` (block scalars keep their meaning). */
export function prometheusRuleYaml(rulesYaml: string): string {
  const lines = rulesYaml.split("\n");
  const start = lines.findIndex((line) => line.startsWith("groups:"));
  if (start === -1) throw new Error(`${RULES_FILE} has no top-level "groups:" line`);
  const body = lines
    .slice(start)
    .map((line) => (line === "" ? line : `  ${line}`))
    .join("\n");
  return `${HEADER}${body.replace(/\n*$/, "\n")}`;
}
