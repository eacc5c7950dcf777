/**
 * deploy/components/pull-secrets, rendered by the real `kubectl kustomize` in an
 * overlay: the collector runs with --kubernetes-pull-secrets (a flag it
 * declares and its config accepts) and may get, never list or watch, Secrets
 * and ServiceAccounts by any name; without the component it has neither.
 */
import { describe, expect, it } from "vitest";
import { find, type K8sObject, kustomizeOverlay, onlyContainer, type Workload } from "./manifests.js";
import { collectorConfigOf } from "./program-config.js";

const COMPONENT = "deploy/components/pull-secrets";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const rulesOn = (objects: readonly K8sObject[], resource: string) =>
  objects
    .filter((o) => o.kind === "ClusterRole" || o.kind === "Role")
    .flatMap((o) =>
      ((o as K8sObject & { rules?: Rule[] }).rules ?? []).map((rule) => ({ role: o.metadata.name, rule })),
    )
    // Rules on named objects only (the collector's CA Secret) are not rights on any Secret.
    .filter(({ rule }) => rule.apiGroups.includes("") && rule.resources.includes(resource) && !rule.resourceNames);

describe(COMPONENT, () => {
  it("turns on --kubernetes-pull-secrets and grants get on secrets and serviceaccounts only", async () => {
    const objects = await kustomizeOverlay({ resources: ["deploy"], components: [COMPONENT] });
    const collector = onlyContainer(find<Workload>(objects, "StatefulSet", "imagedrift-collector"));
    expect(collector.args).toContain("--kubernetes-pull-secrets");
    expect(collectorConfigOf(collector)).toMatchObject({ kubernetesPullSecrets: true, kubernetes: "auto" });
    for (const resource of ["secrets", "serviceaccounts"]) {
      const rules = rulesOn(objects, resource);
      expect(rules.map((r) => [r.role, r.rule.verbs])).toEqual([["imagedrift-collector-pull-secrets", ["get"]]]);
    }
    const binding = find(objects, "ClusterRoleBinding", "imagedrift-collector-pull-secrets") as K8sObject & {
      subjects: { kind: string; name: string; namespace: string }[];
    };
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "imagedrift-collector", namespace: "imagedrift" },
    ]);
  });

  it("is off without the component: no flag, no right on secrets", async () => {
    const objects = await kustomizeOverlay({ resources: ["deploy"] });
    const collector = onlyContainer(find<Workload>(objects, "StatefulSet", "imagedrift-collector"));
    expect(collectorConfigOf(collector).kubernetesPullSecrets).toBe(false);
    expect(rulesOn(objects, "secrets")).toEqual([]);
  });
});
