/**
 * Canned docs/ARCHITECTURE.md#rest-api response bodies for the CLI's tests (used by the
 * collector.fake.ts test double). One small cluster at a fixed time:
 * worker-1 and worker-2 reporting, worker-3 missing; nginx current
 * everywhere, the team app stale on worker-2, a cache image unresolved.
 */
import { type FindingItem, type NodeImageItem, type NodeItem, summaryOfTag, type TagView } from "@imagedrift/core";
import type { CannedResponse } from "./collector.fake.js";

export const NOW = new Date("2025-06-01T12:00:00Z");

/** `sha256:` and 64 copies of one hex digit. */
export const digest = (hex: string) => `sha256:${hex.repeat(64)}`;

const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

export const NGINX = "docker.io/library/nginx:1.27";
export const APP = "registry.example.com/team/app:2.4.1";
export const CACHE = "registry.example.com/team/cache:7";

const node = (
  name: string,
  state: NodeItem["state"],
  secondsAgo: number,
  scanMode: NodeItem["scanMode"] = null,
): NodeItem => ({
  name,
  runtime: { name: "containerd", version: "2.0.4" },
  lastReportAt: ago(secondsAgo),
  state,
  imageCount: 3,
  imageBytes: 1_288_490_189,
  imageFs: { usedBytes: 5_368_709_120 },
  scanMode,
});

export const NODES: NodeItem[] = [
  node("worker-1", "reporting", 12, "events"),
  node("worker-2", "reporting", 30, "polling"),
  node("worker-3", "missing", 3 * 3600),
];

export const WORKER_1_IMAGES: NodeImageItem[] = [
  {
    id: digest("1"),
    repoTags: [NGINX],
    repoDigests: [`docker.io/library/nginx@${digest("a")}`],
    size: 72_000_000,
    pinned: false,
    inUse: true,
    containers: [{ id: "c1", pod: "web-0", namespace: "shop", container: "nginx", state: "running" }],
  },
  {
    id: digest("2"),
    repoTags: [APP],
    repoDigests: [`registry.example.com/team/app@${digest("b")}`],
    size: 210_000_000,
    pinned: false,
    inUse: false,
    containers: [],
  },
  {
    id: digest("3"),
    repoTags: ["registry.k8s.io/pause:3.10"],
    repoDigests: [`registry.k8s.io/pause@${digest("c")}`],
    size: 320_000,
    pinned: true,
    inUse: true,
    containers: [],
  },
];

const holder = (name: string, hex: string | null, status: "current" | "stale" | "unknown") => ({
  node: name,
  digest: hex === null ? null : digest(hex),
  imageId: digest("9"),
  status,
});

export const TAGS: TagView[] = [
  {
    reference: NGINX,
    registryDigest: digest("a"),
    resolvedAt: ago(120),
    resolveError: null,
    resolvedBy: "poll",
    status: "current",
    nodes: [holder("worker-1", "a", "current"), holder("worker-2", "a", "current")],
  },
  {
    reference: APP,
    registryDigest: digest("b"),
    resolvedAt: ago(60),
    resolveError: null,
    resolvedBy: "event",
    status: "stale",
    nodes: [holder("worker-1", "b", "current"), holder("worker-2", "d", "stale")],
  },
  {
    reference: CACHE,
    registryDigest: null,
    resolvedAt: ago(30),
    resolveError: "registry.example.com: 503 Service Unavailable",
    resolvedBy: "poll",
    status: "unresolved",
    nodes: [holder("worker-1", "e", "unknown"), holder("worker-2", "e", "unknown")],
  },
];

export const FINDINGS: FindingItem[] = [
  {
    id: `stale-tag:${APP}`,
    kind: "stale-tag",
    severity: "warning",
    reference: APP,
    nodes: ["worker-2"],
    digests: [digest("d")],
    registryDigest: digest("b"),
    firstSeenAt: ago(3600),
    lastSeenAt: ago(10),
    message: "worker-2 holds an old digest of registry.example.com/team/app:2.4.1",
    remedy: "imagedrift refresh registry.example.com/team/app:2.4.1",
    pods: [],
  },
  {
    id: "agent-missing:worker-3",
    kind: "agent-missing",
    severity: "info",
    reference: "worker-3",
    nodes: ["worker-3"],
    digests: [],
    registryDigest: null,
    firstSeenAt: ago(3 * 3600),
    lastSeenAt: ago(10),
    message: "worker-3 has not reported for 3h",
    remedy: "kubectl -n imagedrift get pods -o wide --field-selector spec.nodeName=worker-3",
    pods: [],
  },
];

const list = (items: unknown[]): CannedResponse => ({ body: { items } });

/** The routes of a healthy collector. */
export function cannedRoutes(): Record<string, CannedResponse> {
  return {
    "/api/v1/nodes": list(NODES),
    "/api/v1/nodes/worker-1/images": list(WORKER_1_IMAGES),
    "/api/v1/tags": list(TAGS),
    "/api/v1/tags?status=stale": list(TAGS.filter((t) => t.status === "stale")),
    "/api/v1/tags?view=summary": list(TAGS.map(summaryOfTag)),
    "/api/v1/tags?status=stale&view=summary": list(TAGS.filter((t) => t.status === "stale").map(summaryOfTag)),
    "/api/v1/findings": list(FINDINGS),
    "/api/v1/findings?severity=warning": list(FINDINGS.filter((f) => f.severity === "warning")),
  };
}
