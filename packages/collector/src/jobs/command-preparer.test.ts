import type { CommandSpec, Job, TagView } from "@imagedrift/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Presence } from "../registry/manifest-presence.js";
import { defaultHostConfig, type RegistriesConfig } from "../registry/registry-host.js";
import { Secret } from "../registry/secret.js";
import type { ClusterFacts } from "./cluster-facts.js";
import { commandPreparer } from "./command-preparer.js";
import { protectedReferences, staleImageIds } from "./prune-facts.js";
import { pullAuth } from "./pull-credentials.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = new Date("2026-01-01T12:00:00Z");

const registries: RegistriesConfig = {
  hosts: new Map([
    [
      "private.example:5000",
      {
        ...defaultHostConfig("private.example:5000"),
        credentials: { kind: "basic", username: "robot", password: new Secret("s3cret") },
      },
    ],
    [
      "docker.io",
      {
        ...defaultHostConfig("docker.io"),
        credentials: { kind: "identity-token", username: "", token: new Secret("refresh-token") },
      },
    ],
    ["public.example", defaultHostConfig("public.example")],
  ]),
};

const holder = (node: string, imageId: string, status: "current" | "stale" | "unknown") => ({
  node,
  digest: status === "unknown" ? null : d("0"),
  imageId,
  status,
});

const views: TagView[] = [
  {
    reference: "reg.example/app:1",
    registryDigest: d("2"),
    resolvedAt: null,
    resolveError: null,
    resolvedBy: null,
    status: "stale",
    nodes: [holder("n1", d("a"), "stale"), holder("n2", d("b"), "stale")],
  },
  {
    reference: "reg.example/app:2",
    registryDigest: d("3"),
    resolvedAt: null,
    resolveError: null,
    resolvedBy: null,
    status: "current",
    // The same image on n2 is current under another tag: not stale.
    nodes: [holder("n2", d("b"), "current"), holder("n1", d("c"), "unknown")],
  },
];

const job = (over: Partial<Job>): Job => ({
  id: "j",
  type: "prepull",
  state: "running",
  createdAt: "2026-01-01T00:00:00Z",
  startedAt: null,
  finishedAt: null,
  createdBy: "token",
  request: { type: "prepull", images: ["reg.example/wanted:1"] },
  nodes: [],
  ...over,
});

const cluster: ClusterFacts = {
  knownNodes: () => [],
  tagViews: () => views,
  resolutions: () => new Map(),
  inventory: () => undefined,
  lastUsed: () => new Map([[d("a"), "2026-01-01T10:00:00Z"]]),
};

describe("prune facts", () => {
  it("stale images are those whose tag moved away and that no other tag keeps current", () => {
    expect(staleImageIds("n1", views)).toEqual([d("a")]);
    expect(staleImageIds("n2", views)).toEqual([]);
  });

  it("protects what active pulling jobs want, and recent ones for an hour", () => {
    const jobs = [
      job({ id: "active" }),
      job({
        id: "recent",
        state: "succeeded",
        finishedAt: "2026-01-01T11:30:00Z",
        request: { type: "prepull", images: ["reg.example/recent:1"] },
      }),
      job({
        id: "old",
        state: "succeeded",
        finishedAt: "2026-01-01T10:00:00Z",
        request: { type: "prepull", images: ["reg.example/old:1"] },
      }),
      job({ id: "prune", type: "prune", request: { type: "prune", policy: { mode: "unused" } } }),
    ];
    expect(protectedReferences(jobs, NOW)).toEqual(["reg.example/recent:1", "reg.example/wanted:1"]);
  });

  it("a prune command is planned again right before sending, from fresh facts", async () => {
    const prepare = commandPreparer({ cluster, registries, recentJobs: () => [job({})] });
    const planned: CommandSpec = {
      type: "prune",
      policy: { mode: "stale" },
      dryRun: true,
      protect: [],
      lastUsed: {},
      staleImageIds: [],
    };
    expect(await prepare(planned, { node: "n1", earlier: {}, now: NOW })).toEqual({
      type: "prune",
      policy: { mode: "stale" },
      dryRun: true,
      allowUnrecoverable: false,
      recoverable: [],
      unrecoverable: {},
      protect: ["reg.example/wanted:1"],
      lastUsed: { [d("a")]: "2026-01-01T10:00:00Z" },
      staleImageIds: [d("a")],
    });
  });

  it("only prepulls that are running, or succeeded (or partial) within the hour, protect; never dry runs, failed or cancelled ones", () => {
    const pulled = (ref: string, state: "succeeded" | "failed" = "succeeded") => ({
      node: "n1",
      state,
      message: "",
      attempts: 1,
      startedAt: null,
      finishedAt: null,
      pulled: [{ ref, imageId: d("e"), digest: null, verified: null, alreadyPresent: false }],
    });
    const finished = { finishedAt: "2026-01-01T11:30:00Z" };
    const jobs = [
      job({ id: "dry", request: { type: "prepull", images: ["reg.example/dry:1"], dryRun: true } }),
      job({
        id: "dry-done",
        state: "succeeded",
        ...finished,
        request: { type: "prepull", images: ["reg.example/dry-done:1"], dryRun: true },
        nodes: [pulled("reg.example/dry-done:1")],
      }),
      job({
        id: "failed",
        state: "failed",
        ...finished,
        request: { type: "prepull", images: ["reg.example/failed:1"] },
        nodes: [pulled("reg.example/failed:1", "failed")],
      }),
      job({
        id: "cancelled",
        state: "cancelled",
        ...finished,
        request: { type: "prepull", images: ["reg.example/cancelled:1"] },
      }),
      job({
        id: "partial",
        state: "partial",
        ...finished,
        request: { type: "refresh" },
        nodes: [pulled("reg.example/partial:1"), pulled("reg.example/partial-failed:1", "failed")],
      }),
      job({ id: "pending", state: "pending", request: { type: "prepull", images: ["reg.example/pending:1"] } }),
    ];
    expect(protectedReferences(jobs, NOW)).toEqual(["reg.example/partial:1", "reg.example/pending:1"]);
  });
});

describe("credentials", () => {
  it.each([
    [
      "private.example:5000/team/app:1",
      { username: "robot", password: "s3cret", serverAddress: "https://private.example:5000" },
    ],
    ["nginx:1.27", { identityToken: "refresh-token", serverAddress: "https://registry-1.docker.io" }],
    ["public.example/app:1", undefined],
    ["elsewhere.example/app:1", undefined],
  ])("%s → %j", async (ref, expected) => {
    expect(await pullAuth(registries, ref)).toEqual(expected);
  });

  it("are attached by host when sending, leaving the planned spec untouched", async () => {
    const prepare = commandPreparer({ cluster, registries, recentJobs: () => [] });
    const planned: CommandSpec = {
      type: "pull",
      dryRun: false,
      images: [
        { ref: "private.example:5000/team/app:1", expectedDigest: null },
        { ref: "public.example/app:1", expectedDigest: null },
      ],
    };
    const copy = structuredClone(planned);
    const sent = await prepare(planned, { node: "n1", earlier: {}, now: NOW });
    expect(planned).toEqual(copy);
    expect(sent).toEqual({
      ...planned,
      images: [
        {
          ref: "private.example:5000/team/app:1",
          expectedDigest: null,
          auth: { username: "robot", password: "s3cret", serverAddress: "https://private.example:5000" },
        },
        { ref: "public.example/app:1", expectedDigest: null },
      ],
    });
  });
});

describe("refresh's removal", () => {
  it("never removes an image the node's pull just returned; nothing left means no command", async () => {
    const prepare = commandPreparer({ cluster, registries, recentJobs: () => [] });
    const spec: CommandSpec = { type: "remove", imageIds: [d("a"), d("b")], dryRun: false };
    const pulled = (imageId: string) => ({
      pulled: [{ ref: "reg.example/app:1", imageId, digest: null, verified: null, alreadyPresent: false }],
    });
    const facts = { recoverable: [], unrecoverable: {} };
    expect(await prepare(spec, { node: "n1", earlier: pulled(d("a")), now: NOW })).toEqual({
      ...spec,
      imageIds: [d("b")],
      ...facts,
    });
    expect(
      await prepare({ ...spec, imageIds: [d("a")] }, { node: "n1", earlier: pulled(d("a")), now: NOW }),
    ).toBeNull();
  });

  it("a dry run plans the same removal as the real run, on random node states", async () => {
    // The agent's dry-run pull names the image the tag points at now (the one
    // a real pull replaces); a real pull names the new image. Same-image
    // re-pushes (the pull returns the old id) are outside: only a pull tells.
    const prepare = commandPreparer({ cluster, registries, recentJobs: () => [] });
    const ids = [d("a"), d("b"), d("c"), d("d"), d("e")];
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1 }),
        fc.func(fc.boolean()),
        fc.boolean(),
        async (replaced, alreadyPresent, allowUnrecoverable) => {
          const spec = (dryRun: boolean): CommandSpec => ({
            type: "remove",
            imageIds: replaced,
            dryRun,
            allowUnrecoverable,
          });
          const result = (dryRun: boolean) => ({
            dryRun,
            pulled: replaced.map((old, i) => ({
              ref: `reg.example/app:${i}`,
              imageId: dryRun && !alreadyPresent(i) ? old : d(String(i)),
              digest: null,
              verified: null,
              alreadyPresent: alreadyPresent(i),
            })),
          });
          const dry = await prepare(spec(true), { node: "n1", earlier: result(true), now: NOW });
          const real = await prepare(spec(false), { node: "n1", earlier: result(false), now: NOW });
          expect(dry === null ? null : { ...dry, dryRun: false }).toEqual(real);
        },
      ),
      { seed: 20260101, numRuns: 300 },
    );
  });
});

describe("images whose tag moved on, asked about by digest", () => {
  const image = (id: string, digest: string) => ({
    id,
    repoTags: [],
    repoDigests: [`reg.example/app@${digest}`],
    size: 1000,
    pinned: false,
    sandbox: false,
    inUse: false,
    containers: [],
  });
  const images = [image(d("a"), d("5")), image(d("b"), d("6")), image(d("c"), d("7"))];
  const withImages: ClusterFacts = {
    ...cluster,
    inventory: (node) => ({
      node,
      runtime: { name: "containerd", version: "1.6", apiVersion: "v1" },
      scannedAt: "2026-01-01T00:00:00Z",
      images,
      pods: [],
      imageFs: { mountpoint: "/", usedBytes: 0, inodesUsed: null },
    }),
  };
  const asked: string[] = [];
  const askByDigest = async (repoDigest: string): Promise<Presence> => {
    asked.push(repoDigest);
    if (repoDigest.endsWith(d("5"))) return { state: "present" };
    if (repoDigest.endsWith(d("6"))) return { state: "absent" };
    return { state: "unknown", error: "registry reg.example answered 503" };
  };
  const prune: CommandSpec = {
    type: "prune",
    policy: { mode: "dangling" },
    dryRun: false,
    protect: [],
    lastUsed: {},
    staleImageIds: [],
  };

  it("an old version the registry still has is recoverable; a 404 is an only copy; no answer keeps it in doubt", async () => {
    const prepare = commandPreparer({ cluster: withImages, registries, recentJobs: () => [], askByDigest });
    const sent = await prepare(prune, { node: "n1", earlier: {}, now: NOW });
    expect(sent).toMatchObject({
      recoverable: [d("a")],
      unrecoverable: {
        [d("b")]: `only copy: no registry has this image (its registry answers 404 for reg.example/app@${d("6")})`,
        [d("c")]:
          `maybe the only copy: the registry did not say whether it has reg.example/app@${d("7")}: registry reg.example answered 503`,
      },
    });
  });

  it("the dry run is sent the same facts, and nothing is asked when the job allows removing only copies", async () => {
    const prepare = commandPreparer({ cluster: withImages, registries, recentJobs: () => [], askByDigest });
    const real = await prepare(prune, { node: "n1", earlier: {}, now: NOW });
    const dry = await prepare({ ...prune, dryRun: true }, { node: "n1", earlier: {}, now: NOW });
    expect(dry).toEqual({ ...real, dryRun: true });
    asked.length = 0;
    await prepare({ ...prune, allowUnrecoverable: true }, { node: "n1", earlier: {}, now: NOW });
    expect(asked).toEqual([]);
  });
});
