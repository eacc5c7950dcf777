import { describe, expect, it } from "vitest";
import {
  type ContainerSpec,
  digest,
  found,
  type ImageSpec,
  INTERVAL_MS,
  NOW,
  notFound,
  resolveFailed,
  reversed,
  type SnapshotSpec,
  snapshot,
} from "./drift.fake.js";
import type { FindingDraft, NodeState } from "./drift-types.js";
import { familiarRef } from "./finding-text.js";
import { computeFindings, isAgentMissing, mergeFindings, nodeFindings, tagFindings } from "./findings.js";
import { shortDigest } from "./short-digest.js";
import { computeTagViews } from "./tag-view.js";

const APP = "registry.example.com/team/app:v1";
const APP2 = "registry.example.com/team/app:v2";
const NGINX = "docker.io/library/nginx:1.25";
const D1 = digest("1");
const D2 = digest("2");
const D3 = digest("3");
const OLD_ID = digest("a");
const NEW_ID = digest("b");
const ARM_ID = digest("c");
const app = (d: string): string => `registry.example.com/team/app@${d}`;
const nginx = (d: string): string => `docker.io/library/nginx@${d}`;
const running = (id: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({ id, ...extra });

/** An image holding APP at `d`. */
const appAt = (d: string, containers: ContainerSpec[] = [], id = NEW_ID): ImageSpec => ({
  id,
  tags: [APP],
  digests: [app(d)],
  containers,
});
/** The tag moved away: the old image keeps only its repo digest. */
const appOld = (d: string, containers: ContainerSpec[]): ImageSpec => ({ id: OLD_ID, digests: [app(d)], containers });

/** `severity kind reference nodes digests` with short digests. */
function summary(f: FindingDraft): string {
  const reference = f.kind === "agent-missing" ? f.reference : familiarRef(f.reference);
  return `${f.severity} ${f.kind} ${reference} [${f.nodes.join(",")}] [${f.digests.map(shortDigest).join(",")}]`;
}
const s1 = shortDigest(D1);
const s2 = shortDigest(D2);

const cases: { name: string; spec: SnapshotSpec; want: string[] }[] = [
  {
    name: "multi-arch: index digest current on amd64 and arm64 nodes, image ids differ: nothing",
    spec: {
      nodes: {
        a: [{ id: OLD_ID, tags: [NGINX], digests: [nginx(D1)], containers: [running("c1")] }],
        b: [{ id: ARM_ID, tags: [NGINX], digests: [nginx(D1)], containers: [running("c2")] }],
      },
      resolutions: { [NGINX]: found(D1) },
    },
    want: [],
  },
  {
    name: "index re-pushed with the same platform image: the registry's digest is among the image's, nothing",
    spec: {
      nodes: {
        a: [{ id: OLD_ID, tags: [APP], digests: [app(D1), app(D2)], containers: [running("c1")] }],
        b: [appAt(D2)],
      },
      resolutions: { [APP]: found(D2) },
    },
    want: [],
  },
  {
    name: "container named by its familiar reference, the tag moved on the node",
    spec: {
      nodes: {
        a: [
          { id: OLD_ID, digests: [nginx(D1)], containers: [running("c1", { image: "nginx:1.25" })] },
          { id: NEW_ID, tags: [NGINX], digests: [nginx(D2)] },
        ],
      },
      resolutions: { [NGINX]: found(D2) },
    },
    want: [`critical running-stale nginx:1.25 [a] [${s1}]`],
  },
  {
    name: "tag moved on the node to a local build: running-stale and local-only",
    spec: { nodes: { a: [appOld(D1, [running("c1")]), { id: NEW_ID, tags: [APP] }] } },
    want: [`critical local-only ${APP} [a] []`, `critical running-stale ${APP} [a] [${s1}]`],
  },
  {
    name: "tag moved on the node, registry agrees with the node: running-stale",
    spec: { nodes: { a: [appOld(D1, [running("c1")]), appAt(D2)] }, resolutions: { [APP]: found(D2) } },
    want: [`critical running-stale ${APP} [a] [${s1}]`],
  },
  {
    name: "tag moved on the node, registry unreachable: running-stale, nothing stale",
    spec: { nodes: { a: [appOld(D1, [running("c1")]), appAt(D2)] }, resolutions: { [APP]: resolveFailed } },
    want: [`critical running-stale ${APP} [a] [${s1}]`],
  },
  {
    name: "tag moved on the node, never resolved: running-stale",
    spec: { nodes: { a: [appOld(D1, [running("c1")]), appAt(D2)] } },
    want: [`critical running-stale ${APP} [a] [${s1}]`],
  },
  {
    name: "container asked for the tag by name, the tag moved on the node",
    spec: { nodes: { a: [appOld(D1, [running("c1", { image: "registry.example.com/team/app:v1" })]), appAt(D2)] } },
    want: [`critical running-stale ${APP} [a] [${s1}]`],
  },
  {
    name: "tag moved on the node but the registry still has the running digest: the node is stale, not the pod",
    spec: { nodes: { a: [appOld(D1, [running("c1")]), appAt(D2)] }, resolutions: { [APP]: found(D1) } },
    want: [`warning stale-tag ${APP} [a] [${s2}]`],
  },
  {
    name: "registry moved on: the node is stale and its running container too",
    spec: { nodes: { a: [appAt(D1, [running("c1")])] }, resolutions: { [APP]: found(D2) } },
    want: [`critical running-stale ${APP} [a] [${s1}]`, `warning stale-tag ${APP} [a] [${s1}]`],
  },
  {
    name: "registry moved on, container exited: only stale-tag",
    spec: { nodes: { a: [appAt(D1, [running("c1", { state: "exited" })])] }, resolutions: { [APP]: found(D2) } },
    want: [`warning stale-tag ${APP} [a] [${s1}]`],
  },
  {
    name: "registry moved on, container pinned by digest: only stale-tag",
    spec: {
      nodes: { a: [appAt(D1, [running("c1", { image: `${APP}@${D1}` }), running("c2", { image: app(D1) })])] },
      resolutions: { [APP]: found(D2) },
    },
    want: [`warning stale-tag ${APP} [a] [${s1}]`],
  },
  {
    name: "registry error: unresolved, never stale",
    spec: { nodes: { a: [appAt(D1, [running("c1")])] }, resolutions: { [APP]: resolveFailed } },
    want: [],
  },
  {
    name: "registry pending: nothing",
    spec: { nodes: { a: [appAt(D1, [running("c1")])] }, resolutions: { [APP]: { state: "pending" } } },
    want: [],
  },
  {
    name: "two nodes, two digests, unresolved, unused: inconsistent warning",
    spec: { nodes: { a: [appAt(D1)], b: [appAt(D2)] } },
    want: [`warning inconsistent-tag ${APP} [a,b] [${s1},${s2}]`],
  },
  {
    name: "two nodes, two digests, running on the current node: inconsistent critical",
    spec: { nodes: { a: [appAt(D1)], b: [appAt(D2, [running("c1")])] }, resolutions: { [APP]: found(D2) } },
    want: [`critical inconsistent-tag ${APP} [a,b] [${s1},${s2}]`],
  },
  {
    name: "two nodes, two digests, running on the stale node: inconsistent and running-stale, no stale-tag",
    spec: { nodes: { a: [appAt(D1, [running("c1")])], b: [appAt(D2)] }, resolutions: { [APP]: found(D2) } },
    want: [`critical inconsistent-tag ${APP} [a,b] [${s1},${s2}]`, `critical running-stale ${APP} [a] [${s1}]`],
  },
  {
    name: "inconsistent, only exited containers: warning",
    spec: { nodes: { a: [appAt(D1, [running("c1", { state: "exited" })])], b: [appAt(D2)] } },
    want: [`warning inconsistent-tag ${APP} [a,b] [${s1},${s2}]`],
  },
  {
    name: "stale on some nodes, current on another: inconsistent only",
    spec: { nodes: { a: [appAt(D1)], b: [appAt(D1)], c: [appAt(D2)] }, resolutions: { [APP]: found(D2) } },
    want: [`warning inconsistent-tag ${APP} [a,b,c] [${s1},${s2}]`],
  },
  {
    name: "stale on the nodes that hold the tag, another node without it",
    spec: {
      nodes: { a: [appAt(D1)], b: [appAt(D1)], c: [{ id: ARM_ID, tags: [NGINX], digests: [nginx(D3)] }] },
      resolutions: { [APP]: found(D2), [NGINX]: found(D3) },
    },
    want: [`warning stale-tag ${APP} [a,b] [${s1}]`],
  },
  {
    name: "stale on one node, local image on another",
    spec: { nodes: { a: [appAt(D1)], b: [{ id: OLD_ID, tags: [APP] }] }, resolutions: { [APP]: found(D2) } },
    want: [`warning local-only ${APP} [b] []`, `warning stale-tag ${APP} [a] [${s1}]`],
  },
  {
    name: "registry 404, unused: missing-in-registry warning",
    spec: { nodes: { a: [appAt(D1)], b: [appAt(D1)] }, resolutions: { [APP]: notFound } },
    want: [`warning missing-in-registry ${APP} [a,b] [${s1}]`],
  },
  {
    name: "registry 404, used by an exited container: critical",
    spec: { nodes: { a: [appAt(D1, [running("c1", { state: "exited" })])] }, resolutions: { [APP]: notFound } },
    want: [`critical missing-in-registry ${APP} [a] [${s1}]`],
  },
  {
    name: "registry 404 with two digests: inconsistent and missing",
    spec: { nodes: { a: [appAt(D1)], b: [appAt(D2)] }, resolutions: { [APP]: notFound } },
    want: [
      `warning inconsistent-tag ${APP} [a,b] [${s1},${s2}]`,
      `warning missing-in-registry ${APP} [a,b] [${s1},${s2}]`,
    ],
  },
  {
    name: "local-only, unused: warning",
    spec: { nodes: { a: [{ id: OLD_ID, tags: [APP] }] } },
    want: [`warning local-only ${APP} [a] []`],
  },
  {
    name: "local-only, in use: critical",
    spec: { nodes: { a: [{ id: OLD_ID, tags: [APP], containers: [running("c1")] }] } },
    want: [`critical local-only ${APP} [a] []`],
  },
  {
    name: "local-only and unknown to the registry: one finding, local-only",
    spec: {
      nodes: { a: [{ id: OLD_ID, tags: [APP] }], b: [{ id: NEW_ID, tags: [APP] }] },
      resolutions: { [APP]: notFound },
    },
    want: [`warning local-only ${APP} [a,b] []`],
  },
  {
    name: "local on one node, pulled on another, registry current: local-only on that node",
    spec: { nodes: { a: [appAt(D1)], b: [{ id: OLD_ID, tags: [APP] }] }, resolutions: { [APP]: found(D1) } },
    want: [`warning local-only ${APP} [b] []`],
  },
  {
    name: "local on one node, pulled on another, registry 404: missing-in-registry covers both",
    spec: { nodes: { a: [appAt(D1)], b: [{ id: OLD_ID, tags: [APP] }] }, resolutions: { [APP]: notFound } },
    want: [`warning missing-in-registry ${APP} [a,b] [${s1}]`],
  },
  {
    name: "agent silent for exactly 3 intervals: not missing",
    spec: { nodes: { a: [appAt(D1)] }, resolutions: { [APP]: found(D1) }, silentMs: { a: 3 * INTERVAL_MS } },
    want: [],
  },
  {
    name: "agent silent for just over 3 intervals: agent-missing",
    spec: { nodes: { a: [appAt(D1)] }, resolutions: { [APP]: found(D1) }, silentMs: { a: 3 * INTERVAL_MS + 1 } },
    want: ["critical agent-missing a [a] []"],
  },
  {
    name: "a missing node's inventory still counts",
    spec: {
      nodes: { a: [appAt(D1)], b: [appAt(D1)] },
      resolutions: { [APP]: found(D2) },
      silentMs: { b: 10 * INTERVAL_MS },
    },
    want: ["critical agent-missing b [b] []", `warning stale-tag ${APP} [a,b] [${s1}]`],
  },
  {
    name: "digest-only image, node holds two tags of its repository: wants both",
    spec: {
      nodes: {
        a: [appOld(D1, [running("c1")]), appAt(D2), { id: ARM_ID, tags: [APP2], digests: [app(D3)] }],
      },
    },
    want: [`critical running-stale ${APP} [a] [${s1}]`, `critical running-stale ${APP2} [a] [${s1}]`],
  },
  {
    name: "running-stale on two nodes: one finding per tag",
    spec: {
      nodes: { a: [appAt(D1, [running("c1")])], b: [appAt(D1, [running("c2"), running("c3")])] },
      resolutions: { [APP]: found(D2) },
    },
    want: [`critical running-stale ${APP} [a,b] [${s1}]`, `warning stale-tag ${APP} [a,b] [${s1}]`],
  },
];

describe("computeFindings", () => {
  it.each(cases)("$name", ({ spec, want }) => {
    const s = snapshot(spec);
    expect(computeFindings(s).map(summary)).toEqual(want);
    expect(computeFindings(reversed(s))).toEqual(computeFindings(s));
  });

  it.each(cases)("names the familiar reference and short digests: $name", ({ spec }) => {
    for (const f of computeFindings(snapshot(spec))) {
      if (f.kind === "agent-missing") {
        expect(f.message).toContain(f.reference);
        continue;
      }
      expect(f.message).toContain(familiarRef(f.reference));
      for (const d of f.digests) expect(f.message).toContain(shortDigest(d));
      expect(f.key).toBe(`${f.kind}:${f.reference}`);
      expect(f.nodes).toEqual([...f.nodes].sort());
      expect(f.digests).toEqual([...f.digests].sort());
    }
  });
});

function only(spec: SnapshotSpec, kind: FindingDraft["kind"]): FindingDraft {
  const matches = computeFindings(snapshot(spec)).filter((f) => f.kind === kind);
  expect(matches).toHaveLength(1);
  const [finding] = matches;
  if (finding === undefined) throw new Error("unreachable");
  return finding;
}

describe("finding details", () => {
  it("inconsistent-tag: who holds what, refresh the nodes that differ from the registry", () => {
    const f = only(
      {
        nodes: { a: [appAt(D1)], b: [appAt(D1)], c: [appAt(D2, [running("c1")])] },
        resolutions: { [APP]: found(D2) },
      },
      "inconsistent-tag",
    );
    expect(f.message).toBe(
      `${APP} means 2 digests on 3 nodes: 2 nodes hold ${s1} (a, b), 1 node holds ${s2} (c); ` +
        `the registry has ${s2}. What a pod runs depends on the node it lands on. 1 container runs it.`,
    );
    expect(f.remedy).toBe(`imagedrift refresh ${APP} --nodes a,b`);
    expect(f.registryDigest).toBe(D2);
    expect(f.severity).toBe("critical");
    expect(f.pods).toEqual([
      { node: "c", namespace: "default", pod: "pod-c1", container: "app", containerId: "c1", digest: D2 },
    ]);
  });

  it("inconsistent-tag, unresolved: refresh every holder; 404: push first", () => {
    const unresolved = only({ nodes: { a: [appAt(D1)], b: [appAt(D2)] } }, "inconsistent-tag");
    expect(unresolved.remedy).toBe(`imagedrift refresh ${APP} --nodes a,b`);
    expect(unresolved.message).toContain("the registry has not been asked yet");
    expect(unresolved.registryDigest).toBeNull();
    const gone = only(
      { nodes: { a: [appAt(D1)], b: [appAt(D2)] }, resolutions: { [APP]: notFound } },
      "inconsistent-tag",
    );
    expect(gone.remedy).toBe(
      `docker push ${APP}   # push the version you want, then: imagedrift refresh ${APP} --nodes a,b`,
    );
    const failed = only(
      { nodes: { a: [appAt(D1)], b: [appAt(D2)] }, resolutions: { [APP]: resolveFailed } },
      "inconsistent-tag",
    );
    expect(failed.message).toContain("the registry could not be asked (dial tcp: connection refused)");
  });

  it("stale-tag: familiar name, both digests, refresh command", () => {
    const f = only(
      {
        nodes: { a: [{ id: OLD_ID, tags: ["nginx:1.25"], digests: [`nginx@${D1}`] }] },
        resolutions: { [NGINX]: found(D2) },
      },
      "stale-tag",
    );
    expect(f.reference).toBe(NGINX);
    expect(f.message).toBe(
      `nginx:1.25 is out of date on 1 node (a): it holds ${s1}, the registry now has ${s2}. ` +
        "Pods started there with imagePullPolicy IfNotPresent get the old image.",
    );
    expect(f.remedy).toBe("imagedrift refresh nginx:1.25 --nodes a");
    expect(f.registryDigest).toBe(D2);
  });

  it("running-stale: names pods, nodes and digests; one kubectl command per namespace", () => {
    const f = only(
      {
        nodes: {
          a: [appAt(D1, [running("c1", { pod: "web-1", namespace: "shop" })])],
          b: [
            appAt(D1, [
              running("c2", { pod: "web-2", namespace: "shop" }),
              running("c3", { pod: "web-2", namespace: "shop", container: "sidecar" }),
              running("c4", { pod: "batch", namespace: "jobs" }),
            ]),
          ],
        },
        resolutions: { [APP]: found(D2) },
      },
      "running-stale",
    );
    expect(f.remedy).toBe("kubectl -n jobs delete pod batch; kubectl -n shop delete pod web-1 web-2");
    expect(f.pods.map((p) => `${p.node}/${p.containerId}`)).toEqual(["a/c1", "b/c4", "b/c2", "b/c3"]);
    expect(f.pods.every((p) => p.digest === D1)).toBe(true);
    expect(f.registryDigest).toBe(D2);
    expect(f.message).toContain(`shop/web-1 (app) on a runs ${s1}, the tag now points at ${s2}`);
    expect(f.message).toContain(`jobs/batch (app) on b runs ${s1}`);
    expect(f.message).toContain("4 containers run an image the tag no longer points at");
    expect(f.message).toContain("imagePullPolicy: Always");
    expect(f.message).toContain(`imagedrift refresh ${APP}`);
  });

  it("running-stale: the tag moved on the node, new digest from the node", () => {
    const f = only(
      { nodes: { a: [appOld(D1, [running("c1", { pod: "api", namespace: "prod" })]), appAt(D2)] } },
      "running-stale",
    );
    expect(f.remedy).toBe("kubectl -n prod delete pod api");
    expect(f.registryDigest).toBeNull();
    expect(f.message).toContain(`prod/api (app) on a runs ${s1}, the tag now points at ${s2}`);
  });

  it("running-stale: a container outside any pod is stopped on its node", () => {
    const f = only(
      {
        nodes: { a: [appAt(D1, [running("abcdef0123456789", { pod: "", namespace: "" })])] },
        resolutions: { [APP]: found(D2) },
      },
      "running-stale",
    );
    expect(f.remedy).toBe("ssh a crictl stop abcdef0123456789");
    expect(f.message).toContain("container abcdef012345 on a runs");
  });

  it("missing-in-registry: push again", () => {
    const f = only(
      { nodes: { a: [appAt(D1, [running("c1")])] }, resolutions: { [APP]: notFound } },
      "missing-in-registry",
    );
    expect(f.severity).toBe("critical");
    expect(f.remedy).toBe(
      `ssh a ctr -n k8s.io images export /tmp/app-v1.tar ${APP} && scp a:/tmp/app-v1.tar . && ` +
        `skopeo copy oci-archive:app-v1.tar docker://${APP}   # the tag is gone from the registry; push the copy ` +
        "a node holds, or change the workload to an existing tag",
    );
    expect(f.message).toBe(
      `${APP} is not in the registry (404), but 1 node holds ${s1} (a): a pod scheduled on a node without it fails ` +
        "with ErrImagePull. 1 container uses it.",
    );
    expect(f.registryDigest).toBeNull();
  });

  it("missing-in-registry: a container elsewhere that wants the tag makes it critical", () => {
    const f = only(
      {
        nodes: { a: [appAt(D1)], b: [{ id: OLD_ID, digests: [app(D1)], containers: [running("c1", { image: APP })] }] },
        resolutions: { [APP]: notFound },
      },
      "missing-in-registry",
    );
    expect(f.nodes).toEqual(["a"]);
    expect(f.severity).toBe("critical");
    expect(f.pods.map((p) => p.node)).toEqual(["b"]);
  });

  it("local-only: names the image ids and what other nodes hold", () => {
    const f = only(
      { nodes: { a: [appAt(D1)], b: [{ id: OLD_ID, tags: [APP] }] }, resolutions: { [APP]: found(D1) } },
      "local-only",
    );
    expect(f.message).toContain(`image ${shortDigest(OLD_ID)} on b`);
    expect(f.message).toContain(`Elsewhere 1 node holds ${s1} (a).`);
    expect(f.message).toContain(`the registry has ${s1}`);
    expect(f.remedy).toContain(`ssh b ctr -n k8s.io images export /tmp/`);
    expect(f.remedy).toContain(` ${APP} && scp b:/tmp/`);
    expect(f.remedy).toContain(`docker://${APP}   # the only copy is in b's containerd`);
    expect(f.remedy).not.toContain("docker push");
    expect(f.digests).toEqual([]);
  });

  it("agent-missing: message and remedy", () => {
    const f = only({ nodes: { "node-1": [] }, silentMs: { "node-1": 4 * INTERVAL_MS } }, "agent-missing");
    expect(f).toMatchObject({
      key: "agent-missing:node-1",
      severity: "critical",
      reference: "node-1",
      nodes: ["node-1"],
      remedy: "kubectl -n imagedrift get pods -o wide --field-selector spec.nodeName=node-1",
    });
    expect(f.message).toContain("has not reported for 4m");
    expect(f.message).toContain("every 1m");
    expect(f.message).toContain("last inventory");
  });

  it("findings that use a missing node's inventory say so", () => {
    const s = { nodes: { a: [appAt(D1)], b: [appAt(D2)] }, silentMs: { b: 5 * INTERVAL_MS } };
    expect(only(s, "inconsistent-tag").message).toContain(
      "No report from b for over 3 intervals: this uses the last inventory.",
    );
    const fine = only({ nodes: { a: [appAt(D1)], b: [appAt(D2)] } }, "inconsistent-tag");
    expect(fine.message).not.toContain("No report");
  });
});

describe("agent-missing edge cases", () => {
  it("a node without an interval or report time does not throw", () => {
    const s = snapshot({ nodes: { a: [] } });
    const broken = { ...s, nodes: [{ name: "a", lastReportAt: "never", intervalMs: Number.NaN }] };
    expect(computeFindings(broken).map(summary)).toEqual(["critical agent-missing a [a] []"]);
    const noInterval = {
      ...s,
      nodes: [{ name: "a", lastReportAt: "2025-12-31T00:00:00.000Z", intervalMs: Number.NaN }],
    };
    expect(() => computeFindings(noInterval)).not.toThrow();
  });

  it("a node known only by its state, without inventory", () => {
    const s = snapshot({ nodes: {} });
    const lone = { ...s, nodes: [{ name: "gone", lastReportAt: "2025-12-31T00:00:00.000Z", intervalMs: INTERVAL_MS }] };
    const [f] = computeFindings(lone);
    expect(f?.message).toContain("No inventory of this node is known.");
  });
});

describe("isAgentMissing", () => {
  const node = (lastReportAt: string): NodeState => ({ name: "a", lastReportAt, intervalMs: INTERVAL_MS });
  const at = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
  it.each([
    { name: "just reported", lastReportAt: at(0), missing: false },
    { name: "one interval", lastReportAt: at(INTERVAL_MS), missing: false },
    { name: "exactly 3 intervals", lastReportAt: at(3 * INTERVAL_MS), missing: false },
    { name: "3 intervals + 1ms", lastReportAt: at(3 * INTERVAL_MS + 1), missing: true },
    { name: "an hour", lastReportAt: at(3_600_000), missing: true },
    { name: "in the future (clock skew)", lastReportAt: at(-INTERVAL_MS), missing: false },
    { name: "unreadable time", lastReportAt: "yesterday", missing: true },
  ])("$name", ({ lastReportAt, missing }) => {
    expect(isAgentMissing(node(lastReportAt), NOW)).toBe(missing);
  });
});

describe("incremental use", () => {
  const spec: SnapshotSpec = {
    nodes: {
      a: [appAt(D1, [running("c1")]), { id: OLD_ID, tags: [NGINX], digests: [nginx(D3)] }],
      b: [appAt(D2, [running("c2")]), { id: ARM_ID, tags: ["localhost:5000/dev:1"] }],
      c: [appOld(D1, [running("c3")]), appAt(D2)],
    },
    resolutions: { [APP]: found(D2), [NGINX]: notFound },
    silentMs: { c: 3 * INTERVAL_MS + 1 },
  };
  const s = snapshot(spec);
  const parts = [
    ...computeTagViews(s).flatMap((view) => tagFindings(view, s)),
    ...["a", "b", "c"].flatMap((node) => nodeFindings(node, s)),
  ];

  it("per-tag and per-node parts merge into computeFindings, in any order", () => {
    expect(mergeFindings(parts, s)).toEqual(computeFindings(s));
    expect(mergeFindings([...parts].reverse(), s)).toEqual(computeFindings(s));
  });

  it("nodeFindings gives each node its own running-stale draft under the cluster key", () => {
    const keys = ["a", "c"].map((node) => nodeFindings(node, s).find((f) => f.kind === "running-stale")?.key);
    expect(keys).toEqual([`running-stale:${APP}`, `running-stale:${APP}`]);
    const merged = computeFindings(s).find((f) => f.kind === "running-stale");
    expect(merged?.nodes).toEqual(["a", "c"]);
    expect(merged?.pods.map((p) => p.containerId)).toEqual(["c1", "c3"]);
  });

  it("is deterministic", () => {
    expect(computeFindings(snapshot(spec))).toEqual(computeFindings(s));
    expect(computeFindings(reversed(s))).toEqual(computeFindings(s));
    expect(computeFindings(s).map(summary)).toEqual([
      "critical agent-missing c [c] []",
      `critical inconsistent-tag ${APP} [a,b,c] [${s1},${s2}]`,
      "warning local-only localhost:5000/dev:1 [b] []",
      `warning missing-in-registry nginx:1.25 [a] [${shortDigest(D3)}]`,
      `critical running-stale ${APP} [a,c] [${s1}]`,
    ]);
  });
});

describe("findings at cluster scale", () => {
  it("leave the nodes to the refresh job past 20 of them, and list at most 100 of the containers using a tag", () => {
    const nodes: Record<string, ImageSpec[]> = {};
    for (let n = 0; n < 60; n++) {
      const name = `node-${String(n).padStart(2, "0")}`;
      const containers = [0, 1, 2].map((c) => running(`${name}-c${c}`, { pod: `web-${n}-${c}`, image: APP }));
      nodes[name] = [n % 2 === 0 ? appAt(D1, containers) : appAt(D2, containers, OLD_ID)];
    }
    const finding = computeFindings(snapshot({ nodes, resolutions: { [APP]: found(D1) } })).find(
      (f) => f.kind === "inconsistent-tag",
    );
    expect(finding?.nodes).toHaveLength(60);
    expect(finding?.remedy).toBe(
      `imagedrift refresh ${familiarRef(APP)}   # pulls it again on the 30 nodes whose digest differs`,
    );
    expect(finding?.pods).toHaveLength(100);
    expect(finding?.message).toContain("180 containers run it.");
  });
});
