import { describe, expect, it } from "vitest";
import { digest, found, type ImageSpec, snapshot } from "./drift.fake.js";
import type { ClusterSnapshot, FindingDraft, TagResolution } from "./drift-types.js";
import { computeFindings } from "./findings.js";
import { lintWorkloads } from "./manifest-lint.js";
import { mixedReplicasFindings } from "./mixed-replicas.js";
import { pullPolicyRiskFindings } from "./pull-policy-risk.js";
import { shortDigest } from "./short-digest.js";
import type { PodContainer, WorkloadPod, WorkloadRef } from "./workload-pods.js";
import { runningDigest } from "./workload-pods.js";

const REG = "registry.example.com";
const APP = `${REG}/team/app`;
const D1 = digest("1");
const D2 = digest("2");
const ID_AMD = digest("a");
const ID_ARM = digest("b");

const deployment = (name = "web", namespace = "shop"): WorkloadRef => ({ kind: "Deployment", namespace, name });

interface PodSpec {
  name: string;
  node?: string;
  phase?: string;
  owner?: WorkloadRef;
  containers?: Partial<PodContainer>[];
}

/** A running pod of Deployment shop/web with one container `app` running `app:v1` IfNotPresent, unless told. */
function pod(spec: PodSpec): WorkloadPod {
  return {
    namespace: spec.owner?.namespace ?? "shop",
    name: spec.name,
    uid: `uid-${spec.name}`,
    node: spec.node ?? "n1",
    phase: spec.phase ?? "Running",
    owner: spec.owner ?? deployment(),
    containers: (spec.containers ?? [{}]).map((c, index) => ({
      name: "app",
      type: "container",
      index,
      image: `${APP}:v1`,
      imagePullPolicy: "IfNotPresent",
      imageId: `${APP}@${D1}`,
      containerId: `${spec.name}-c${index}`,
      ...c,
    })),
  };
}

function withPods(
  pods: WorkloadPod[],
  nodes: Record<string, ImageSpec[]> = {},
  resolutions: Record<string, TagResolution> = {},
): ClusterSnapshot {
  return { ...snapshot({ nodes, resolutions }), workloads: pods };
}

/** `severity reference [nodes] [digests] pods` with short digests. */
function summary(f: FindingDraft): string {
  const pods = f.pods.map((p) => `${p.pod}/${p.container}`).join(",");
  return `${f.severity} ${f.reference} [${f.nodes.join(",")}] [${f.digests.map(shortDigest).join(",")}] ${pods}`;
}

describe("pull-policy-risk", () => {
  const cases: { name: string; pods: WorkloadPod[]; want: string[] }[] = [
    {
      name: "version tag with IfNotPresent: warning",
      pods: [pod({ name: "web-1" })],
      want: [`warning ${APP}:v1 [n1] [${shortDigest(D1)}] web-1/app`],
    },
    {
      name: "latest with IfNotPresent: critical",
      pods: [pod({ name: "web-1", containers: [{ image: `${APP}:latest`, imageId: "" }] })],
      want: [`critical ${APP}:latest [n1] [] web-1/app`],
    },
    {
      name: "no tag with IfNotPresent is latest: critical",
      pods: [pod({ name: "web-1", containers: [{ image: "nginx", imageId: "" }] })],
      want: ["critical docker.io/library/nginx:latest [n1] [] web-1/app"],
    },
    {
      name: "version tag with Never: critical",
      pods: [pod({ name: "web-1", containers: [{ imagePullPolicy: "Never" }] })],
      want: [`critical ${APP}:v1 [n1] [${shortDigest(D1)}] web-1/app`],
    },
    {
      name: "no policy written: Kubernetes' default for a version tag (IfNotPresent)",
      pods: [pod({ name: "web-1", containers: [{ imagePullPolicy: "" }] })],
      want: [`warning ${APP}:v1 [n1] [${shortDigest(D1)}] web-1/app`],
    },
    {
      name: "safe: Always, a digest, latest pulled Always, or no policy on latest",
      pods: [
        pod({ name: "a", containers: [{ imagePullPolicy: "Always" }] }),
        pod({ name: "b", owner: deployment("b"), containers: [{ image: `${APP}:v1@${D1}` }] }),
        pod({ name: "c", owner: deployment("c"), containers: [{ image: `${APP}@${D1}`, imagePullPolicy: "Never" }] }),
        pod({ name: "d", owner: deployment("d"), containers: [{ image: `${APP}:latest`, imagePullPolicy: "Always" }] }),
        pod({ name: "e", owner: deployment("e"), containers: [{ image: `${APP}:latest`, imagePullPolicy: "" }] }),
      ],
      want: [],
    },
    {
      name: "pods that do not run are left out",
      pods: [pod({ name: "a", phase: "Pending" }), pod({ name: "b", phase: "Succeeded" })],
      want: [],
    },
    {
      name: "one finding per workload and container, over every pod and node",
      pods: [
        pod({ name: "web-1", node: "n1" }),
        pod({ name: "web-2", node: "n2", containers: [{}, { name: "side", image: `${REG}/side:1` }] }),
        pod({ name: "web-3", node: "n2", containers: [{ imageId: `${APP}@${D2}` }] }),
      ],
      want: [
        `warning ${APP}:v1 [n1,n2] [${shortDigest(D1)},${shortDigest(D2)}] web-1/app,web-2/app,web-3/app`,
        `warning ${REG}/side:1 [n2] [${shortDigest(D1)}] web-2/side`,
      ],
    },
    {
      name: "a rollout in progress: the riskiest image speaks for the finding",
      pods: [
        pod({ name: "new", containers: [{ image: `${APP}:latest` }] }),
        pod({ name: "old", containers: [{ image: `${APP}:v1` }] }),
      ],
      want: [`critical ${APP}:latest [n1] [${shortDigest(D1)}] new/app,old/app`],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(pullPolicyRiskFindings(withPods(c.pods)).map(summary)).toEqual(c.want);
    });
  }

  it("has the severity `imagedrift lint` gives the same container in a manifest", () => {
    const images = ["app:v1", "app:latest", "app", `app@${D1}`, `app:v1@${D1}`, `${REG}/team/app:1.2`];
    const policies = ["", "Always", "IfNotPresent", "Never"];
    for (const image of images) {
      for (const policy of policies) {
        const manifest = {
          kind: "Deployment",
          metadata: { name: "web", namespace: "shop" },
          spec: { template: { spec: { containers: [{ name: "app", image, imagePullPolicy: policy }] } } },
        };
        const lint = lintWorkloads([{ file: "m.yaml", index: 1, doc: manifest }]).filter(
          (f) => f.rule !== "latest-always",
        );
        const runtime = pullPolicyRiskFindings(
          withPods([pod({ name: "web-1", containers: [{ image, imagePullPolicy: policy }] })]),
        );
        expect(
          runtime.map((f) => f.severity),
          `${image} ${policy}`,
        ).toEqual(lint.map((f) => f.severity));
      }
    }
  });

  it("keys by workload and container, and remedies with a JSON patch of the template", () => {
    const [f] = pullPolicyRiskFindings(withPods([pod({ name: "web-1" })]));
    expect(f?.key).toBe("pull-policy-risk:shop/Deployment/web/app");
    expect(f?.kind).toBe("pull-policy-risk");
    expect(f?.message).toContain("Deployment shop/web, container app:");
    expect(f?.message).toContain("imagePullPolicy IfNotPresent");
    expect(f?.remedy).toBe(
      `kubectl -n shop patch deployment web --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/imagePullPolicy","value":"Always"}]'` +
        `   # or pin a digest: image: ${APP}:v1@${D1}`,
    );
    expect(f?.pods[0]).toEqual({
      node: "n1",
      namespace: "shop",
      pod: "web-1",
      container: "app",
      containerId: "web-1-c0",
      digest: D1,
    });
  });

  it("patches init containers and CronJob templates where they are", () => {
    const cron: WorkloadRef = { kind: "CronJob", namespace: "ops", name: "nightly" };
    const pods = [pod({ name: "job-1", owner: cron, containers: [{ name: "init", type: "initContainer", index: 0 }] })];
    const [f] = pullPolicyRiskFindings(withPods(pods));
    expect(f?.remedy).toContain("kubectl -n ops patch cronjob nightly");
    expect(f?.remedy).toContain('"path":"/spec/jobTemplate/spec/template/spec/initContainers/0/imagePullPolicy"');
  });

  it("pins the running digest for Never, and falls back to lint's remedy where nothing can be patched", () => {
    const never = pullPolicyRiskFindings(
      withPods([pod({ name: "web-1", containers: [{ imagePullPolicy: "Never" }] })]),
    );
    expect(never[0]?.remedy).toContain(`kubectl -n shop set image deployment/web app=${APP}:v1@${D1}`);
    const bare = pullPolicyRiskFindings(
      withPods([pod({ name: "debug", owner: { kind: "Pod", namespace: "shop", name: "debug" } })]),
    );
    expect(bare[0]?.remedy).toMatch(/^pin a digest: image: /);
  });

  it("finds nothing without Kubernetes facts", () => {
    expect(pullPolicyRiskFindings(snapshot({ nodes: {} }))).toEqual([]);
  });
});

describe("mixed-replicas", () => {
  /** Node n1 holds APP:v1 as image `id` with repo digest `d`. */
  const holds = (id: string, d: string, containerId?: string): ImageSpec => ({
    id,
    tags: [`${APP}:v1`],
    digests: [`${APP}@${d}`],
    containers: containerId === undefined ? [] : [{ id: containerId }],
  });

  const cases: {
    name: string;
    pods: WorkloadPod[];
    nodes?: Record<string, ImageSpec[]>;
    want: string[];
  }[] = [
    {
      name: "two repo digests in imageID: critical",
      pods: [
        pod({ name: "web-1", node: "n1" }),
        pod({ name: "web-2", node: "n2", containers: [{ imageId: `docker-pullable://${APP}@${D2}` }] }),
      ],
      want: [`critical ${APP}:v1 [n1,n2] [${shortDigest(D1)},${shortDigest(D2)}] web-1/app,web-2/app`],
    },
    {
      name: "one digest, written with and without the docker-pullable scheme: nothing",
      pods: [
        pod({ name: "web-1", node: "n1" }),
        pod({ name: "web-2", node: "n2", containers: [{ imageId: `docker-pullable://${APP}@${D1}` }] }),
      ],
      want: [],
    },
    {
      name: "an image id mapped through the node's inventory agrees with a repo digest",
      pods: [pod({ name: "web-1", node: "n1" }), pod({ name: "web-2", node: "n2", containers: [{ imageId: ID_ARM }] })],
      nodes: { n2: [holds(ID_ARM, D1)] },
      want: [],
    },
    {
      name: "an image id mapped to another digest differs",
      pods: [pod({ name: "web-1", node: "n1" }), pod({ name: "web-2", node: "n2", containers: [{ imageId: ID_ARM }] })],
      nodes: { n2: [holds(ID_ARM, D2)] },
      want: [`critical ${APP}:v1 [n1,n2] [${shortDigest(D1)},${shortDigest(D2)}] web-1/app,web-2/app`],
    },
    {
      name: "per-platform image ids of one index digest on amd64 and arm64: nothing",
      pods: [
        pod({ name: "web-1", node: "n1", containers: [{ imageId: `sha256:${ID_AMD.slice(7)}` }] }),
        pod({ name: "web-2", node: "n2", containers: [{ imageId: `docker://${ID_ARM}` }] }),
      ],
      nodes: { n1: [holds(ID_AMD, D1)], n2: [holds(ID_ARM, D1)] },
      want: [],
    },
    {
      name: "by container id when imageID is empty but the container runs",
      pods: [
        pod({ name: "web-1", node: "n1" }),
        pod({ name: "web-2", node: "n2", containers: [{ imageId: "", containerId: "c-web-2" }] }),
      ],
      nodes: { n2: [holds(ID_ARM, D2, "c-web-2")] },
      want: [`critical ${APP}:v1 [n1,n2] [${shortDigest(D1)},${shortDigest(D2)}] web-1/app,web-2/app`],
    },
    {
      name: "an image id nothing maps is unknown, not different",
      pods: [pod({ name: "web-1", node: "n1" }), pod({ name: "web-2", node: "n2", containers: [{ imageId: ID_ARM }] })],
      want: [],
    },
    {
      name: "a rollout from v1 to v2 is two images, not mixed replicas",
      pods: [
        pod({ name: "web-1" }),
        pod({ name: "web-2", containers: [{ image: `${APP}:v2`, imageId: `${APP}@${D2}` }] }),
      ],
      want: [],
    },
    {
      name: "different workloads, bare pods and pods that do not run are not compared",
      pods: [
        pod({ name: "web-1" }),
        pod({ name: "api-1", owner: deployment("api"), containers: [{ imageId: `${APP}@${D2}` }] }),
        pod({
          name: "x",
          owner: { kind: "Pod", namespace: "shop", name: "x" },
          containers: [{ imageId: `${APP}@${D2}` }],
        }),
        pod({ name: "web-2", phase: "Succeeded", containers: [{ imageId: `${APP}@${D2}` }] }),
      ],
      want: [],
    },
    {
      name: "init containers count too",
      pods: [
        pod({ name: "web-1", containers: [{ name: "migrate", type: "initContainer" }] }),
        pod({ name: "web-2", containers: [{ name: "migrate", type: "initContainer", imageId: `${APP}@${D2}` }] }),
      ],
      want: [`critical ${APP}:v1 [n1] [${shortDigest(D1)},${shortDigest(D2)}] web-1/migrate,web-2/migrate`],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(mixedReplicasFindings(withPods(c.pods, c.nodes)).map(summary)).toEqual(c.want);
    });
  }

  it("says which pods run which digest, and remedies with refresh then a rollout restart", () => {
    const pods = [
      pod({ name: "web-1", node: "n1" }),
      pod({ name: "web-2", node: "n2", containers: [{ imageId: `${APP}@${D2}` }] }),
    ];
    const [f] = mixedReplicasFindings(withPods(pods, {}, { [`${APP}:v1`]: found(D2) }));
    expect(f?.key).toBe(`mixed-replicas:shop/Deployment/web/app:${APP}:v1`);
    expect(f?.registryDigest).toBe(D2);
    expect(f?.message).toContain(`${shortDigest(D1)} (web-1 on n1), ${shortDigest(D2)} (web-2 on n2)`);
    expect(f?.message).toContain(`the registry has ${shortDigest(D2)}`);
    expect(f?.remedy).toBe(`imagedrift refresh ${APP}:v1 && kubectl -n shop rollout restart deployment/web`);
  });

  it("deletes the pods off the registry's digest for a Job", () => {
    const job: WorkloadRef = { kind: "Job", namespace: "ops", name: "batch" };
    const pods = [
      pod({ name: "batch-a", owner: job }),
      pod({ name: "batch-b", owner: job, containers: [{ imageId: `${APP}@${D2}` }] }),
    ];
    const [f] = mixedReplicasFindings(withPods(pods, {}, { [`${APP}:v1`]: found(D2) }));
    expect(f?.remedy).toBe(`imagedrift refresh ${APP}:v1 && kubectl -n ops delete pod batch-a`);
  });
});

describe("computeFindings with Kubernetes facts", () => {
  it("includes pull-policy-risk and mixed-replicas", () => {
    const pods = [
      pod({ name: "web-1", node: "n1" }),
      pod({ name: "web-2", node: "n2", containers: [{ imageId: `${APP}@${D2}` }] }),
    ];
    expect(computeFindings(withPods(pods)).map((f) => f.kind)).toEqual(["mixed-replicas", "pull-policy-risk"]);
  });

  it("runningDigest prefers the repo digest of imageID over the inventory", () => {
    const p = pod({ name: "web-1", node: "n1" });
    const container = p.containers[0];
    if (container === undefined) throw new Error("no container");
    const s = withPods([p], { n1: [runningImage(ID_AMD, D2, "web-1-c0")] });
    expect(runningDigest(p, container, s)).toBe(D1);
    expect(runningDigest(p, { ...container, imageId: "" }, s)).toBe(D2);
  });
});

/** An image holding APP:v1 at `d`, used by one container. */
function runningImage(id: string, d: string, containerId: string): ImageSpec {
  return { id, tags: [`${APP}:v1`], digests: [`${APP}@${d}`], containers: [{ id: containerId }] };
}
