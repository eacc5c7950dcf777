import { describe, expect, it } from "vitest";
import { APP, CACHE, digest, NGINX, NODES, TAGS } from "./api-fixtures.fake.js";
import { parseVerifyTargets, selectNodes, verifyReferences } from "./verify.js";

function check(refs: string[], options: { nodes?: string[]; digest?: string } = {}) {
  return verifyReferences({
    targets: parseVerifyTargets(refs, options.digest),
    tags: TAGS,
    nodes: NODES,
    requestedNodes: options.nodes,
  });
}

/** `node:✓` / `node:✗ reason` per reference, for compact expectations. */
function verdicts(refs: string[], options: { nodes?: string[]; digest?: string } = {}) {
  return check(refs, options).references.map((r) =>
    r.nodes.map((n) => (n.passed ? `${n.node}:✓` : `${n.node}:✗ ${n.reason}`)),
  );
}

describe("parseVerifyTargets", () => {
  it("normalises references like containerd", () => {
    expect(parseVerifyTargets(["nginx:1.27", "registry.example.com/team/app:2.4.1", "busybox"])).toEqual([
      { input: "nginx:1.27", reference: NGINX, requiredDigest: null, requiredFrom: null },
      { input: "registry.example.com/team/app:2.4.1", reference: APP, requiredDigest: null, requiredFrom: null },
      { input: "busybox", reference: "docker.io/library/busybox:latest", requiredDigest: null, requiredFrom: null },
    ]);
  });

  it("takes a digest pinned in the reference, and --digest over the registry", () => {
    expect(parseVerifyTargets([`nginx:1.27@${digest("f")}`])[0]).toMatchObject({
      reference: NGINX,
      requiredDigest: digest("f"),
      requiredFrom: "reference",
    });
    expect(parseVerifyTargets(["nginx:1.27"], digest("f"))[0]).toMatchObject({ requiredFrom: "flag" });
  });

  it.each([
    ["Nginx:1.27", /invalid reference "Nginx:1.27": repository name must be lowercase/],
    ["nginx:-bad", /invalid reference "nginx:-bad": invalid tag/],
    [`nginx@${digest("a")}`, /verify needs a tag/],
    ["", /reference must not be empty/],
  ])("rejects %j naming the reference and the rule", (input, message) => {
    expect(() => parseVerifyTargets([input])).toThrow(message);
  });

  it("rejects a --digest that is not one, or that contradicts the reference", () => {
    expect(() => parseVerifyTargets(["nginx:1.27"], "sha256:abc")).toThrow(/--digest "sha256:abc" is not a digest/);
    expect(() => parseVerifyTargets([`nginx:1.27@${digest("a")}`], digest("b"))).toThrow(/pins another digest/);
  });
});

describe("selectNodes", () => {
  it("defaults to every reporting node; --nodes wins, once each", () => {
    expect(selectNodes(NODES)).toEqual(["worker-1", "worker-2"]);
    expect(selectNodes(NODES, [])).toEqual(["worker-1", "worker-2"]);
    expect(selectNodes(NODES, ["worker-2", "worker-2", "worker-3"])).toEqual(["worker-2", "worker-3"]);
  });
});

describe("verifyReferences", () => {
  it.each([
    { name: "current everywhere", refs: ["nginx:1.27"], options: {}, want: [["worker-1:✓", "worker-2:✓"]] },
    {
      name: "stale on one node",
      refs: [APP],
      options: {},
      want: [["worker-1:✓", "worker-2:✗ expected sha256:bbbbbbbbbbbb"]],
    },
    { name: "only the nodes asked for", refs: [APP], options: { nodes: ["worker-1"] }, want: [["worker-1:✓"]] },
    {
      name: "--digest replaces the registry's",
      refs: [APP],
      options: { digest: digest("d") },
      want: [["worker-1:✗ expected sha256:dddddddddddd", "worker-2:✓"]],
    },
    {
      name: "a node without the tag fails",
      refs: ["redis:7"],
      options: { digest: digest("a") },
      want: [["worker-1:✗ tag not on this node", "worker-2:✗ tag not on this node"]],
    },
    {
      name: "unknown and missing nodes fail",
      refs: ["nginx:1.27"],
      options: { nodes: ["worker-3", "worker-9"] },
      want: [
        [
          "worker-3:✗ the node's agent is not reporting: its cache is unknown",
          "worker-9:✗ node not known to the collector",
        ],
      ],
    },
    {
      name: "unresolved registry digest fails without --digest",
      refs: [CACHE],
      options: {},
      want: [["worker-1:✗ no expected digest to compare with", "worker-2:✗ no expected digest to compare with"]],
    },
    {
      name: "unresolved registry digest passes with --digest",
      refs: [CACHE],
      options: { digest: digest("e") },
      want: [["worker-1:✓", "worker-2:✓"]],
    },
  ])("$name", ({ refs, options, want }) => {
    expect(verdicts(refs, options)).toEqual(want);
    expect(check(refs, options).passed).toBe(want.every((nodes) => nodes.every((n) => n.endsWith("✓"))));
  });

  it("says why a reference has no expected digest", () => {
    const [cache, redis] = check([CACHE, "redis:7"]).references;
    expect(cache?.problem).toMatch(
      /no registry digest to compare with \(registry unresolved: registry.example.com: 503 Service Unavailable\); pass --digest/,
    );
    expect(redis?.problem).toMatch(/no node holds this tag.*pass --digest/);
    expect(cache).toMatchObject({ expectedDigest: null, expectedFrom: null, tagStatus: "unresolved", passed: false });
  });

  it("passes only when every reference passes", () => {
    const result = check(["nginx:1.27", APP]);
    expect(result.references.map((r) => r.passed)).toEqual([true, false]);
    expect(result.passed).toBe(false);
    expect(result.references[0]).toMatchObject({ expectedDigest: digest("a"), expectedFrom: "registry" });
  });

  it("fails when no node is reporting", () => {
    const result = verifyReferences({
      targets: parseVerifyTargets(["nginx:1.27"]),
      tags: TAGS,
      nodes: NODES.map((n) => ({ ...n, state: "missing" as const })),
    });
    expect(result).toMatchObject({ passed: false, nodes: [], problem: expect.stringMatching(/no node is reporting/) });
  });
});
