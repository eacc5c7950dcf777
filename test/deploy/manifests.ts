/**
 * The manifests under deploy/ as Kubernetes reads them: kustomizations rendered
 * by the real `kubectl kustomize`, plain files parsed as multi-document YAML,
 * and typed views of the few fields the tests look at.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, stringify } from "yaml";
import { exec } from "../lab/exec.js";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const repoPath = (path: string): string => join(REPO, path);

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}

export interface Probe {
  httpGet?: { path: string; port: number | string };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  secret?: { secretName: string; defaultMode?: number };
  emptyDir?: Record<string, unknown>;
}

export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  priorityClassName?: string;
  tolerations?: Record<string, unknown>[];
  securityContext?: Record<string, unknown>;
  restartPolicy?: string;
}

export interface PodTemplate {
  metadata: ObjectMeta;
  spec: PodSpec;
}

/** DaemonSet, StatefulSet, Job: whatever runs pods from a template. */
export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    selector?: { matchLabels: Record<string, string> };
    template: PodTemplate;
    volumeClaimTemplates?: { metadata: ObjectMeta; spec: Record<string, unknown> }[];
  };
}

export interface ServicePort {
  name: string;
  port: number;
  targetPort: number | string;
}

export interface Service extends K8sObject {
  spec: { selector: Record<string, string>; ports: ServicePort[]; clusterIP?: string };
}

/** Parses multi-document YAML; a syntax error anywhere throws. Empty documents are dropped. */
export function parseManifests(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value as K8sObject];
  });
}

export function readManifests(path: string): K8sObject[] {
  return parseManifests(readFileSync(repoPath(path), "utf8"), path);
}

/** Runs a program the tests need, saying where it comes from when it is not installed. */
export async function tool(file: "kubectl" | "promtool", args: readonly string[]): Promise<string> {
  try {
    return (await exec(file, args, { timeoutMs: 60_000 })).stdout;
  } catch (error) {
    if ((error as { cause?: { code?: unknown } }).cause?.code === "ENOENT") {
      const from = file === "promtool" ? "Debian's prometheus package" : "kubectl (kustomize is built in)";
      throw new Error(`${file} is not installed: the deploy tests need ${from}`, { cause: error });
    }
    throw error;
  }
}

export const PRUNE_JOB = "deploy/jobs/prune-job.yaml";
export const PREPULL_JOB = "deploy/jobs/prepull-job.yaml";

/** The one Job of a template in deploy/jobs/. */
export function readJobTemplate(file: string): Workload {
  const objects = readManifests(file);
  if (objects.length !== 1 || objects[0]?.kind !== "Job") throw new Error(`${file}: expected one Job`);
  return objects[0] as Workload;
}

/** `kubectl kustomize DIR` (a path under the repository, or absolute), parsed. */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  const path = dir.startsWith("/") ? dir : repoPath(dir);
  return parseManifests(await tool("kubectl", ["kustomize", path]), `kubectl kustomize ${dir}`);
}

/** The optional component with the Prometheus Operator's objects (ServiceMonitors, PrometheusRule). */
export const PROMETHEUS_OPERATOR = "deploy/components/prometheus-operator";

/**
 * `kubectl kustomize` of a kustomization written on the spot, as an operator's overlay would be: the
 * given resources and components (paths under the repository).
 */
export async function kustomizeOverlay(parts: { resources: string[]; components?: string[] }): Promise<K8sObject[]> {
  const dir = mkdtempSync(join(tmpdir(), "imagedrift-overlay-"));
  try {
    const from = (path: string) => relative(dir, repoPath(path));
    const kustomization = {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: parts.resources.map(from),
      components: (parts.components ?? []).map(from),
    };
    writeFileSync(join(dir, "kustomization.yaml"), stringify(kustomization));
    return await kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function find<T extends K8sObject = K8sObject>(objects: readonly K8sObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && (o.metadata.name ?? o.metadata.generateName) === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as T;
}

/** The pod template's one container. */
export function onlyContainer(workload: Workload): Container {
  const [container, ...more] = workload.spec.template.spec.containers;
  if (!container || more.length > 0)
    throw new Error(`${workload.kind} ${workload.metadata.name}: expected one container`);
  return container;
}

export function containerPort(container: Container, name: string): number {
  const port = container.ports?.find((p) => p.name === name)?.containerPort;
  if (port === undefined) throw new Error(`container ${container.name} has no port named ${name}`);
  return port;
}

/** Whether a label selector picks a set of labels. */
export const selects = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);
