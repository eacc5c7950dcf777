import { describe, expect, it } from "vitest";
import { parseImageRef } from "./image-ref.js";
import {
  compareLintFindings,
  effectivePullPolicy,
  isLatestTag,
  isMutableTag,
  type LintFinding,
  lintImage,
  lintWorkloads,
  type ManifestDocument,
  severityAtLeast,
  workloadContainers,
} from "./manifest-lint.js";

const D = `sha256:${"a".repeat(64)}`;

type Container = Record<string, unknown>;

const podSpec = (containers: Container[], more: Record<string, Container[]> = {}) => ({ containers, ...more });
const templated = (kind: string, spec: unknown) => ({
  apiVersion: "apps/v1",
  kind,
  metadata: { name: "web", namespace: "shop" },
  spec: { template: { spec } },
});
const docs = (...values: unknown[]): ManifestDocument[] =>
  values.map((doc, i) => ({ file: "app.yaml", index: i + 1, doc }));

describe("effectivePullPolicy", () => {
  it.each([
    ["nginx", undefined, "Always"],
    ["nginx:latest", undefined, "Always"],
    ["registry.example.com:5000/team/app", undefined, "Always"],
    ["nginx:1.27", undefined, "IfNotPresent"],
    ["myapp:v1", undefined, "IfNotPresent"],
    [`nginx@${D}`, undefined, "IfNotPresent"],
    // Kubernetes looks at the tag only: latest next to a digest still defaults to Always.
    [`nginx:latest@${D}`, undefined, "Always"],
    [`nginx:1.27@${D}`, undefined, "IfNotPresent"],
    // An image Kubernetes cannot parse has no tag: IfNotPresent.
    ["Nginx:latest", undefined, "IfNotPresent"],
    ["nginx", "", "Always"],
    ["nginx", "IfNotPresent", "IfNotPresent"],
    ["nginx:1.27", "Always", "Always"],
    ["nginx:1.27", "Never", "Never"],
    ["nginx", "always", null],
    ["nginx", "IfNotExists", null],
  ] as const)("%s with %s → %s", (image, policy, expected) => {
    expect(effectivePullPolicy(image, policy)).toBe(expected);
  });
});

describe("isMutableTag and isLatestTag", () => {
  it.each([
    ["nginx", true, true],
    ["nginx:latest", true, true],
    ["nginx:1.27", true, false],
    [`nginx@${D}`, false, false],
    [`nginx:latest@${D}`, false, false],
  ] as const)("%s: mutable %s, latest %s", (image, mutable, latest) => {
    const ref = parseImageRef(image);
    expect(isMutableTag(ref)).toBe(mutable);
    expect(isLatestTag(ref)).toBe(latest);
  });
});

describe("lintImage rules", () => {
  it.each([
    // [image, imagePullPolicy, rule or null, severity]
    ["myapp:latest", "IfNotPresent", "latest-if-not-present", "critical"],
    ["myapp", "IfNotPresent", "latest-if-not-present", "critical"],
    ["myapp:v1", "Never", "mutable-never", "critical"],
    ["myapp:latest", "Never", "mutable-never", "critical"],
    ["myapp:v1", undefined, "mutable-if-not-present", "warning"],
    ["myapp:v1", "IfNotPresent", "mutable-if-not-present", "warning"],
    ["registry.example.com/team/app:2.4.1", undefined, "mutable-if-not-present", "warning"],
    ["myapp:latest", "Always", "latest-always", "info"],
    ["myapp", undefined, "latest-always", "info"],
    ["myapp:v1", "Always", null, null],
    [`myapp@${D}`, undefined, null, null],
    [`myapp@${D}`, "Never", null, null],
    [`myapp:v1@${D}`, "IfNotPresent", null, null],
    [`myapp:latest@${D}`, undefined, null, null],
    ["myapp:v1", "always", "invalid-pull-policy", "critical"],
    ["MyApp:v1", "Always", "invalid-reference", "critical"],
    ["myapp:v1:v2", undefined, "invalid-reference", "critical"],
    [`myapp@sha256:abc`, undefined, "invalid-reference", "critical"],
    [undefined, undefined, "invalid-reference", "critical"],
    [42, undefined, "invalid-reference", "critical"],
  ] as const)("%s with %s → %s", (image, policy, rule, severity) => {
    const finding = lintImage(image, policy, "container");
    if (rule === null) expect(finding).toBeNull();
    else expect(finding).toMatchObject({ rule, severity });
  });

  it("says whether the policy was written or defaulted, and how to pin", () => {
    expect(lintImage("myapp:v1", undefined, "container")).toEqual({
      containerType: "container",
      image: "myapp:v1",
      pullPolicy: null,
      effectivePullPolicy: "IfNotPresent",
      severity: "warning",
      rule: "mutable-if-not-present",
      message:
        "myapp:v1 defaults to imagePullPolicy IfNotPresent: a re-pushed v1 never reaches nodes that already hold it, so which build runs depends on the node",
      remedy: "pin a digest: image: myapp:v1@sha256:…, or set imagePullPolicy: Always",
    });
    const latest = lintImage("registry.example.com:5000/app", "IfNotPresent", "container");
    expect(latest?.message).toMatch(
      /^registry\.example\.com:5000\/app with imagePullPolicy IfNotPresent: .*already present on machine/,
    );
    expect(latest?.remedy).toBe(
      "pin a version and a digest: image: registry.example.com:5000/app:<version>@sha256:…, or set imagePullPolicy: Always",
    );
  });

  it("names the rule an invalid reference breaks", () => {
    expect(lintImage("MyApp:v1", undefined, "container")?.message).toBe(
      'invalid reference "MyApp:v1": repository name must be lowercase: the kubelet refuses it (InvalidImageName)',
    );
    expect(lintImage("", undefined, "container")?.message).toBe("no image: the pod cannot start");
    expect(lintImage("app:v1", { policy: "Always" }, "container")?.pullPolicy).toBe('{"policy":"Always"}');
  });
});

describe("workloadContainers", () => {
  const spec = podSpec([{ name: "app", image: "app:1" }]);
  it.each(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"])(
    "finds the pod template of a %s",
    (kind) => {
      expect(workloadContainers(templated(kind, spec))).toEqual([
        {
          kind,
          namespace: "shop",
          name: "web",
          container: "app",
          containerType: "container",
          image: "app:1",
          imagePullPolicy: undefined,
        },
      ]);
    },
  );

  it("finds a Pod's containers, init containers first, then ephemeral ones", () => {
    const pod = {
      kind: "Pod",
      metadata: { generateName: "debug-" },
      spec: podSpec([{ name: "app", image: "app:1" }], {
        initContainers: [{ name: "migrate", image: "migrate:1" }],
        ephemeralContainers: [{ image: "busybox" }],
      }),
    };
    expect(workloadContainers(pod).map((c) => [c.name, c.namespace, c.container, c.containerType])).toEqual([
      ["debug-", null, "migrate", "initContainer"],
      ["debug-", null, "app", "container"],
      ["debug-", null, "ephemeralContainers[0]", "ephemeralContainer"],
    ]);
  });

  it("finds a CronJob's job template", () => {
    const cron = {
      kind: "CronJob",
      metadata: { name: "nightly" },
      spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: { spec } } } },
    };
    expect(workloadContainers(cron).map((c) => `${c.kind}/${c.name}/${c.container}`)).toEqual(["CronJob/nightly/app"]);
  });

  it("walks List items, typed lists whose items omit their kind, and nested lists", () => {
    const list = {
      kind: "List",
      items: [
        { kind: "Pod", metadata: { name: "a" }, spec },
        {
          kind: "DeploymentList",
          items: [templated("Deployment", spec), { metadata: { name: "b" }, spec: { template: { spec } } }],
        },
        { metadata: { name: "kindless" }, spec },
      ],
    };
    expect(workloadContainers(list).map((c) => `${c.kind}/${c.name}`)).toEqual([
      "Pod/a",
      "Deployment/web",
      "Deployment/b",
    ]);
  });

  it.each([
    ["null", null],
    ["a string", "just text"],
    ["a Service", { kind: "Service", spec: { ports: [] } }],
    ["a Deployment without a template", { kind: "Deployment", spec: {} }],
    ["containers that are not a list", { kind: "Pod", spec: { containers: { image: "x" } } }],
    ["a List without items", { kind: "List" }],
  ])("finds nothing in %s", (_, doc) => {
    expect(workloadContainers(doc)).toEqual([]);
  });
});

describe("lintWorkloads", () => {
  it("reports where each finding is: file, 1-based document, workload and container", () => {
    const findings = lintWorkloads(
      docs(templated("Deployment", podSpec([{ name: "app", image: "myapp:latest", imagePullPolicy: "IfNotPresent" }]))),
    );
    expect(findings).toEqual<LintFinding[]>([
      {
        file: "app.yaml",
        document: 1,
        kind: "Deployment",
        namespace: "shop",
        name: "web",
        container: "app",
        containerType: "container",
        image: "myapp:latest",
        pullPolicy: "IfNotPresent",
        effectivePullPolicy: "IfNotPresent",
        severity: "critical",
        rule: "latest-if-not-present",
        message: expect.stringContaining("already present on machine") as string,
        remedy: "pin a version and a digest: image: myapp:<version>@sha256:…, or set imagePullPolicy: Always",
      },
    ]);
  });

  it("reads helm template output: null documents count, other kinds are skipped", () => {
    // `helm template` output parsed document by document: `---` + `# Source:` comment only → null.
    const helm = docs(
      null,
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "web" } },
      null,
      templated("Deployment", podSpec([{ name: "web", image: "registry.example.com/shop/web:2.4.1" }])),
      {
        kind: "CronJob",
        metadata: { name: "report" },
        spec: {
          jobTemplate: {
            spec: { template: { spec: podSpec([{ name: "r", image: "report", imagePullPolicy: "Never" }]) } },
          },
        },
      },
      {
        kind: "Job",
        metadata: { name: "hook" },
        spec: { template: { spec: podSpec([{ name: "h", image: `hook@${D}`, imagePullPolicy: "IfNotPresent" }]) } },
      },
    );
    expect(lintWorkloads(helm).map((f) => [f.document, `${f.kind}/${f.name}/${f.container}`, f.rule])).toEqual([
      [5, "CronJob/report/r", "mutable-never"],
      [4, "Deployment/web/web", "mutable-if-not-present"],
    ]);
  });

  it("sorts most severe first and keeps file, document and container order within a severity", () => {
    const input: ManifestDocument[] = [
      {
        file: "b.yaml",
        index: 1,
        doc: templated(
          "Deployment",
          podSpec([
            { name: "one", image: "one" },
            { name: "two", image: "two:1" },
          ]),
        ),
      },
      {
        file: "a.yaml",
        index: 2,
        doc: templated(
          "DaemonSet",
          podSpec([
            { name: "three", image: "three:1" },
            { name: "four", image: "four:1", imagePullPolicy: "Never" },
          ]),
        ),
      },
    ];
    expect(lintWorkloads(input).map((f) => `${f.severity} ${f.file}:${f.document} ${f.container}`)).toEqual([
      "critical a.yaml:2 four",
      "warning b.yaml:1 two",
      "warning a.yaml:2 three",
      "info b.yaml:1 one",
    ]);
  });

  it("has no findings for digest-pinned images, init and ephemeral containers included", () => {
    const pinned = podSpec([{ name: "app", image: `app:1@${D}` }], {
      initContainers: [{ name: "init", image: `init@${D}`, imagePullPolicy: "IfNotPresent" }],
      ephemeralContainers: [{ name: "debug", image: `busybox@${D}`, imagePullPolicy: "Never" }],
    });
    expect(lintWorkloads(docs({ kind: "Pod", metadata: { name: "p" }, spec: pinned }))).toEqual([]);
  });

  it("checks init and ephemeral containers like the others", () => {
    const spec = podSpec([], {
      initContainers: [{ name: "init", image: "init:1" }],
      ephemeralContainers: [{ name: "debug", image: "busybox:latest", imagePullPolicy: "IfNotPresent" }],
    });
    expect(
      lintWorkloads(docs({ kind: "Pod", metadata: { name: "p" }, spec })).map((f) => [f.containerType, f.rule]),
    ).toEqual([
      ["ephemeralContainer", "latest-if-not-present"],
      ["initContainer", "mutable-if-not-present"],
    ]);
  });
});

describe("severities", () => {
  it.each([
    ["critical", "warning", true],
    ["warning", "warning", true],
    ["info", "warning", false],
    ["info", "info", true],
    ["warning", "critical", false],
  ] as const)("%s at least %s → %s", (severity, threshold, expected) => {
    expect(severityAtLeast(severity, threshold)).toBe(expected);
  });

  it("compares by severity only, so sorting is stable", () => {
    const at = (severity: LintFinding["severity"]) => ({ severity }) as LintFinding;
    expect(compareLintFindings(at("warning"), at("warning"))).toBe(0);
    expect(compareLintFindings(at("critical"), at("info"))).toBeLessThan(0);
  });
});
