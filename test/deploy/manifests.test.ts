/**
 * The kustomize base, rendered by the real kubectl: the
 * programs' own config parsers accept the command lines, ports and probes meet
 * the defaults in code, and the security settings, RBAC and wiring between
 * objects (Services, Secret, ServiceMonitors, PriorityClass) hold together.
 */
import { basename, dirname } from "node:path";
import { parseAgentConfig } from "@imagedrift/agent";
import { parseCollectorConfig } from "@imagedrift/collector";
import { beforeAll, describe, expect, it } from "vitest";
import { parseArgs } from "./flags.js";
import {
  type Container,
  containerPort,
  find,
  type K8sObject,
  kustomize,
  kustomizeOverlay,
  onlyContainer,
  PROMETHEUS_OPERATOR,
  type Service,
  selects,
  type Workload,
} from "./manifests.js";
import { agentConfigOf, collectorConfigOf, NODE } from "./program-config.js";

const NAMESPACE = "imagedrift";
const SOCKET = "/run/containerd/containerd.sock";
const CLUSTER_SCOPED = new Set(["Namespace", "PriorityClass", "ClusterRole", "ClusterRoleBinding"]);

interface ServiceMonitorSpec {
  selector: { matchLabels: Record<string, string> };
  endpoints: { port: string; path: string }[];
}

const flagValue = (container: Container, flag: string) => parseArgs(container.args ?? []).flags[flag];

describe("deploy/ (kustomize base)", () => {
  let objects: K8sObject[];
  let agent: Workload;
  let collector: Workload;
  let agentContainer: Container;
  let collectorContainer: Container;

  beforeAll(async () => {
    objects = await kustomize("deploy");
    agent = find<Workload>(objects, "DaemonSet", "imagedrift-agent");
    collector = find<Workload>(objects, "StatefulSet", "imagedrift-collector");
    agentContainer = onlyContainer(agent);
    collectorContainer = onlyContainer(collector);
  });

  it("renders the namespace, both components, their RBAC, the token, the CA Secret and the priority class", () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names).toEqual(
      [
        "ClusterRole/imagedrift-collector",
        "ClusterRoleBinding/imagedrift-collector",
        "DaemonSet/imagedrift-agent",
        "Namespace/imagedrift",
        "PriorityClass/imagedrift-node-critical",
        "Role/imagedrift-collector-ca",
        "RoleBinding/imagedrift-collector-ca",
        "Secret/imagedrift-collector-ca",
        "Secret/imagedrift-token",
        "Service/imagedrift-agent",
        "Service/imagedrift-collector",
        "ServiceAccount/imagedrift-agent",
        "ServiceAccount/imagedrift-collector",
        "StatefulSet/imagedrift-collector",
      ].sort(),
    );
    for (const o of objects) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(
        CLUSTER_SCOPED.has(o.kind) ? undefined : NAMESPACE,
      );
      expect(o.metadata.labels?.["app.kubernetes.io/part-of"], `${o.kind}/${o.metadata.name}`).toBe("imagedrift");
    }
  });

  describe("agent DaemonSet", () => {
    it("runs on every node, whatever its taints, with the node-critical priority", () => {
      const pod = agent.spec.template.spec;
      expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
      expect(pod.priorityClassName).toBe("imagedrift-node-critical");
      find(objects, "PriorityClass", "imagedrift-node-critical");
    });

    it("has arguments and env that the agent's own config parser accepts", () => {
      const cfg = agentConfigOf(agentContainer);
      expect(cfg).toMatchObject({
        criEndpoint: `unix://${SOCKET}`,
        nodeName: NODE,
        collector: "imagedrift-collector.imagedrift.svc:9100",
        tokenFile: "/var/run/secrets/imagedrift/token",
        interval: 60_000,
      });
    });

    it("dials the collector Service's gRPC port by its cluster DNS name", () => {
      const service = find<Service>(objects, "Service", "imagedrift-collector");
      const grpc = service.spec.ports.find((p) => p.name === "grpc");
      expect(agentConfigOf(agentContainer).collector).toBe(
        `${service.metadata.name}.${service.metadata.namespace}.svc:${grpc?.port}`,
      );
    });

    it("serves metrics and probes on 9101, the agent's default --listen port", () => {
      const port = containerPort(agentContainer, "metrics");
      expect(port).toBe(9101);
      expect(parseAgentConfig({ nodeName: NODE }).listen.port).toBe(port);
      expect(agentConfigOf(agentContainer).listen.port).toBe(port);
      expect(agentContainer.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "metrics" });
      expect(agentContainer.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    });

    it("mounts the runtime socket's directory (a restart's new socket shows), read-only, where --cri-endpoint names it", () => {
      const pod = agent.spec.template.spec;
      const volume = pod.volumes?.find((v) => v.name === "cri-socket");
      expect(volume?.hostPath).toEqual({ path: dirname(SOCKET), type: "Directory" });
      const mount = agentContainer.volumeMounts?.find((m) => m.name === "cri-socket");
      expect(mount?.mountPath).toBe(dirname(SOCKET));
      expect(mount?.readOnly).toBe(true);
      expect(agentConfigOf(agentContainer).criEndpoint).toBe(`unix://${mount?.mountPath}/${basename(SOCKET)}`);
      expect(pod.volumes?.filter((v) => v.hostPath)).toHaveLength(1);
    });

    it("runs as uid 0 for the socket, with nothing else: no capabilities, no escalation, read-only root", () => {
      expect(agentContainer.securityContext).toEqual({
        runAsUser: 0,
        runAsGroup: 0,
        runAsNonRoot: false,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(agent.spec.template.spec.securityContext).toEqual({ seccompProfile: { type: "RuntimeDefault" } });
    });

    it("has no Kubernetes API access: no token mounted, no role bound", () => {
      const sa = find(objects, "ServiceAccount", "imagedrift-agent");
      expect(sa.automountServiceAccountToken).toBe(false);
      expect(agent.spec.template.spec.serviceAccountName).toBe("imagedrift-agent");
      expect(agent.spec.template.spec.automountServiceAccountToken).toBe(false);
      const bindings = objects.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding");
      const subjects = bindings.flatMap((b) => (b.subjects as { name: string }[] | undefined) ?? []);
      expect(subjects.map((s) => s.name)).not.toContain("imagedrift-agent");
    });

    it("sets requests and limits", () => {
      expect(agentContainer.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(agentContainer.resources?.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    });
  });

  describe("collector StatefulSet", () => {
    it("runs one replica with its database on a volume claim of its own", () => {
      expect(collector.spec.replicas).toBe(1);
      const claim = collector.spec.volumeClaimTemplates?.find((c) => c.metadata.name === "data");
      expect(claim?.spec).toMatchObject({ accessModes: ["ReadWriteOnce"] });
      const mount = collectorContainer.volumeMounts?.find((m) => m.name === "data");
      expect(collectorConfigOf(collectorContainer).db).toBe(`${mount?.mountPath}/imagedrift.db`);
      expect(mount?.mountPath).toBe("/var/lib/imagedrift");
    });

    it("has arguments the collector's own config parser accepts, with the Kubernetes integration on in a pod", () => {
      const cfg = collectorConfigOf(collectorContainer);
      expect(cfg).toMatchObject({
        db: "/var/lib/imagedrift/imagedrift.db",
        listen: { host: "", port: 8080 },
        grpcListen: { host: "", port: 9100 },
        tokenFile: "/var/run/secrets/imagedrift/token",
        kubernetes: "auto",
      });
    });

    it("serves on 8080 and 9100, the collector's defaults, with probes on the HTTP port", () => {
      const defaults = parseCollectorConfig({});
      const cfg = collectorConfigOf(collectorContainer);
      expect(containerPort(collectorContainer, "http")).toBe(8080);
      expect(containerPort(collectorContainer, "grpc")).toBe(9100);
      expect(cfg.listen.port).toBe(defaults.listen.port);
      expect(cfg.grpcListen.port).toBe(defaults.grpcListen.port);
      expect(containerPort(collectorContainer, "http")).toBe(cfg.listen.port);
      expect(containerPort(collectorContainer, "grpc")).toBe(cfg.grpcListen.port);
      expect(collectorContainer.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(collectorContainer.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
      expect(collectorContainer.startupProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    });

    it("runs as uid 65532 on a read-only root, writing only its data volume and /tmp", () => {
      expect(collector.spec.template.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        fsGroup: 65532,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(collectorContainer.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      const writable = (collectorContainer.volumeMounts ?? []).filter((m) => !m.readOnly).map((m) => m.mountPath);
      expect(writable.sort()).toEqual(["/tmp", "/var/lib/imagedrift"]);
    });
  });

  it("gives both components the token Secret's file where --token-file looks", () => {
    const secret = find<K8sObject & { stringData?: Record<string, string> }>(objects, "Secret", "imagedrift-token");
    expect(Object.keys(secret.stringData ?? {})).toEqual(["token"]);
    for (const workload of [agent, collector]) {
      const container = onlyContainer(workload);
      const volume = workload.spec.template.spec.volumes?.find((v) => v.secret?.secretName === "imagedrift-token");
      const mount = container.volumeMounts?.find((m) => m.name === volume?.name);
      expect(mount?.readOnly).toBe(true);
      expect(flagValue(container, "token-file")).toBe(`${mount?.mountPath}/token`);
    }
  });

  it("keeps Service links out of the pods' env (IMAGEDRIFT_* variables are flags)", () => {
    for (const workload of [agent, collector]) {
      expect(workload.spec.template.spec.enableServiceLinks).toBe(false);
      const env = onlyContainer(workload).env ?? [];
      expect(env.filter((e) => e.name.startsWith("IMAGEDRIFT_"))).toEqual([]);
    }
  });

  it("exposes the collector's http 8080 and grpc 9100, and the agents' metrics, through Services that select them", () => {
    const service = find<Service>(objects, "Service", "imagedrift-collector");
    expect(service.spec.ports.map(({ name, port, targetPort }) => ({ name, port, targetPort }))).toEqual([
      { name: "http", port: 8080, targetPort: "http" },
      { name: "grpc", port: 9100, targetPort: "grpc" },
    ]);
    expect(selects(service.spec.selector, collector.spec.template.metadata.labels)).toBe(true);
    expect(selects(service.spec.selector, agent.spec.template.metadata.labels)).toBe(false);

    const agents = find<Service>(objects, "Service", "imagedrift-agent");
    expect(agents.spec.clusterIP).toBe("None");
    expect(agents.spec.ports).toEqual([{ name: "metrics", port: 9101, targetPort: "metrics", protocol: "TCP" }]);
    expect(selects(agents.spec.selector, agent.spec.template.metadata.labels)).toBe(true);
    expect(selects(agents.spec.selector, collector.spec.template.metadata.labels)).toBe(false);
    for (const workload of [agent, collector]) {
      expect(selects(workload.spec.selector?.matchLabels ?? {}, workload.spec.template.metadata.labels)).toBe(true);
    }
  });

  it("needs no CRD: every object is of a built-in Kubernetes API (no Prometheus Operator needed)", () => {
    const builtIn = /^(v1|apps\/v1|batch\/v1|rbac\.authorization\.k8s\.io\/v1|scheduling\.k8s\.io\/v1)$/;
    expect(objects.filter((o) => !builtIn.test(o.apiVersion)).map((o) => `${o.apiVersion} ${o.kind}`)).toEqual([]);
  });

  describe(`with ${PROMETHEUS_OPERATOR}`, () => {
    let monitored: K8sObject[];
    beforeAll(async () => {
      monitored = await kustomizeOverlay({ resources: ["deploy"], components: [PROMETHEUS_OPERATOR] });
    });

    it("adds the two ServiceMonitors and the PrometheusRule, in the namespace, to the base unchanged", () => {
      const added = monitored.filter(
        (o) => !objects.some((b) => b.kind === o.kind && b.metadata.name === o.metadata.name),
      );
      expect(added.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        "PrometheusRule/imagedrift",
        "ServiceMonitor/imagedrift-agent",
        "ServiceMonitor/imagedrift-collector",
      ]);
      for (const o of added) {
        expect(o.apiVersion).toBe("monitoring.coreos.com/v1");
        expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(NAMESPACE);
        expect(o.metadata.labels?.["app.kubernetes.io/part-of"], `${o.kind}/${o.metadata.name}`).toBe("imagedrift");
      }
      expect(monitored.filter((o) => !added.includes(o))).toEqual(objects);
    });

    it("scrapes both with ServiceMonitors, as the jobs the alert rules name", () => {
      for (const name of ["imagedrift-collector", "imagedrift-agent"]) {
        const monitor = find<K8sObject & { spec: ServiceMonitorSpec }>(monitored, "ServiceMonitor", name);
        const service = find<Service>(monitored, "Service", name);
        expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
        const others = monitored.filter((o) => o.kind === "Service" && o.metadata.name !== name);
        expect(others.filter((o) => selects(monitor.spec.selector.matchLabels, o.metadata.labels))).toEqual([]);
        expect(monitor.spec.endpoints.length).toBeGreaterThan(0);
        for (const endpoint of monitor.spec.endpoints) {
          expect(service.spec.ports.map((p) => p.name)).toContain(endpoint.port);
          expect(endpoint.path).toBe("/metrics");
        }
      }
    });
  });

  it("lets the collector get, list and watch workloads and nothing else", () => {
    const role = find<K8sObject & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }>(
      objects,
      "ClusterRole",
      "imagedrift-collector",
    );
    const granted = role.rules.flatMap((rule) =>
      rule.apiGroups.flatMap((group) => rule.resources.map((resource) => `${group || "core"}/${resource}`)),
    );
    expect(granted.sort()).toEqual(
      [
        "core/pods",
        "core/nodes",
        "apps/replicasets",
        "apps/deployments",
        "apps/statefulsets",
        "apps/daemonsets",
        "batch/jobs",
      ].sort(),
    );
    for (const rule of role.rules) expect(rule.verbs).toEqual(["get", "list", "watch"]);
    const binding = find<K8sObject & { roleRef: unknown; subjects: unknown }>(
      objects,
      "ClusterRoleBinding",
      "imagedrift-collector",
    );
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "imagedrift-collector",
    });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "imagedrift-collector", namespace: NAMESPACE }]);
    expect(collector.spec.template.spec.serviceAccountName).toBe("imagedrift-collector");
    // The one namespaced Role is the CA Secret's (tls.test.ts).
    expect(objects.filter((o) => o.kind === "Role").map((o) => o.metadata.name)).toEqual(["imagedrift-collector-ca"]);
  });

  it("uses the images that Dockerfile.agent and Dockerfile.collector build", () => {
    expect(agentContainer.image).toBe("imagedrift-agent:0.1.0");
    expect(collectorContainer.image).toBe("imagedrift-collector:0.1.0");
  });
});
