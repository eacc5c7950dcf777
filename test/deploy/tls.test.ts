/**
 * The shipped manifests encrypt the agents' gRPC streams
 * (deploy/README.md#tls-between-agents-and-the-collector): the collector runs
 * its self-signed mode with its files on its data volume and a certificate
 * for the name the agents dial; the CA Secret ships empty, the collector may
 * get and update only it; the agents mount it whole and trust its ca.crt.
 */
import { dirname } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CA_SECRET } from "../../packages/collector/src/tls/ca-publisher.js";
import { serverNames } from "../../packages/collector/src/tls/server-names.js";
import { find, type K8sObject, kustomize, onlyContainer, type Workload } from "./manifests.js";
import { agentConfigOf, collectorConfigOf } from "./program-config.js";

const NAMESPACE = "imagedrift";

interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

describe("deploy/ (kustomize base): TLS between agents and the collector", () => {
  let objects: K8sObject[];
  let agent: Workload;
  let collector: Workload;

  beforeAll(async () => {
    objects = await kustomize("deploy");
    agent = find<Workload>(objects, "DaemonSet", "imagedrift-agent");
    collector = find<Workload>(objects, "StatefulSet", "imagedrift-collector");
  });

  it("runs the collector's self-signed mode with its files on the data volume, for the name agents dial", () => {
    const container = onlyContainer(collector);
    const cfg = collectorConfigOf(container);
    expect(cfg).toMatchObject({ tlsSelfSigned: true, tlsDir: "/var/lib/imagedrift/tls" });
    expect(cfg.tlsCert).toBeUndefined();
    const data = container.volumeMounts?.find((m) => m.name === "data");
    expect(dirname(cfg.tlsDir)).toBe(data?.mountPath);
    expect(data?.readOnly).not.toBe(true);
    // The pod's namespace is the one the manifests install into.
    const names = serverNames({ service: cfg.tlsService, namespace: NAMESPACE, extra: cfg.tlsNames });
    const dialled = agentConfigOf(onlyContainer(agent)).collector?.replace(/:\d+$/, "");
    expect(names).toContain(dialled);
  });

  it("ships the CA Secret empty, so the collector fills it and kubectl apply keeps what it added", () => {
    const secret = find<K8sObject & { data?: unknown; stringData?: unknown; type?: string }>(
      objects,
      "Secret",
      CA_SECRET.name,
    );
    expect(secret.metadata.namespace).toBe(NAMESPACE);
    expect(secret.type).toBe("Opaque");
    expect(secret.data).toBeUndefined();
    expect(secret.stringData).toBeUndefined();
  });

  it("lets the collector get, patch and update that one Secret in its namespace, and create nothing", () => {
    const role = find<K8sObject & { rules: Rule[] }>(objects, "Role", CA_SECRET.name);
    expect(role.metadata.namespace).toBe(NAMESPACE);
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["secrets"], resourceNames: [CA_SECRET.name], verbs: ["get", "patch", "update"] },
    ]);
    const binding = find<K8sObject & { roleRef: unknown; subjects: unknown }>(objects, "RoleBinding", CA_SECRET.name);
    expect(binding.metadata.namespace).toBe(NAMESPACE);
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: CA_SECRET.name });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "imagedrift-collector", namespace: NAMESPACE }]);
    expect(collector.spec.template.spec.serviceAccountName).toBe("imagedrift-collector");
  });

  it("mounts the CA Secret whole (its updates reach the pod) and read-only where the agent's --tls-ca looks", () => {
    const container = onlyContainer(agent);
    const volume = agent.spec.template.spec.volumes?.find((v) => v.secret?.secretName === CA_SECRET.name);
    const mount = container.volumeMounts?.find((m) => m.name === volume?.name) as
      | { mountPath: string; readOnly?: boolean; subPath?: string }
      | undefined;
    expect(mount).toMatchObject({ mountPath: "/var/run/secrets/imagedrift-tls", readOnly: true });
    expect(mount?.subPath).toBeUndefined();
    expect(agentConfigOf(container).tlsCa).toBe(`${mount?.mountPath}/${CA_SECRET.key}`);
  });
});
