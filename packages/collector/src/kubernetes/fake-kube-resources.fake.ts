/**
 * What the FAKE Kubernetes API server (fake-kube-api.fake.ts) knows of the
 * API's shape: the resources it serves and their paths, the objects it
 * stores, how a request path names one, and the `Status` bodies of its errors.
 */

export const RESOURCES = {
  pods: { prefix: "/api/v1", kind: "Pod", apiVersion: "v1", namespaced: true },
  nodes: { prefix: "/api/v1", kind: "Node", apiVersion: "v1", namespaced: false },
  replicasets: { prefix: "/apis/apps/v1", kind: "ReplicaSet", apiVersion: "apps/v1", namespaced: true },
  deployments: { prefix: "/apis/apps/v1", kind: "Deployment", apiVersion: "apps/v1", namespaced: true },
  statefulsets: { prefix: "/apis/apps/v1", kind: "StatefulSet", apiVersion: "apps/v1", namespaced: true },
  daemonsets: { prefix: "/apis/apps/v1", kind: "DaemonSet", apiVersion: "apps/v1", namespaced: true },
  jobs: { prefix: "/apis/batch/v1", kind: "Job", apiVersion: "batch/v1", namespaced: true },
  cronjobs: { prefix: "/apis/batch/v1", kind: "CronJob", apiVersion: "batch/v1", namespaced: true },
  secrets: { prefix: "/api/v1", kind: "Secret", apiVersion: "v1", namespaced: true },
  serviceaccounts: { prefix: "/api/v1", kind: "ServiceAccount", apiVersion: "v1", namespaced: true },
} as const;
export type Resource = keyof typeof RESOURCES;

export interface KubeObject {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  [field: string]: unknown;
}

/** What a request path names: a resource, in one namespace or all, one object by name or the list. */
export interface Route {
  resource: Resource;
  namespace: string | null;
  name: string | null;
}

/** The route of `pathname`, or null when the fake serves no such path. */
export function parseRoute(pathname: string): Route | null {
  for (const [resource, info] of Object.entries(RESOURCES) as [Resource, (typeof RESOURCES)[Resource]][]) {
    if (!pathname.startsWith(`${info.prefix}/`)) continue;
    const parts = pathname.slice(info.prefix.length + 1).split("/");
    let namespace: string | null = null;
    if (parts[0] === "namespaces" && info.namespaced && parts.length >= 3) {
      namespace = parts[1] ?? null;
      parts.splice(0, 2);
    }
    if (parts[0] !== resource || parts.length > 2) continue;
    return { resource, namespace, name: parts[1] ?? null };
  }
  return null;
}

/** Whether `object` is in the route's namespace (every object, for a route across namespaces). */
export function inRouteNamespace(route: Route, object: KubeObject): boolean {
  return route.namespace === null || object.metadata.namespace === route.namespace;
}

/** A `Status` body, as the API server answers an error. */
export function kubeStatus(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

/** RFC 7386 JSON merge patch: `null` removes a field, objects merge, anything else replaces. */
export function jsonMergePatch(into: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof into === "object" && into !== null ? { ...into } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = jsonMergePatch(out[key], value);
  }
  return out;
}
