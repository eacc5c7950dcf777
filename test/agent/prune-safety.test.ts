/**
 * Prune safety on real containerd, over random node states and random
 * policies (fast-check, fixed seeds). Each case builds a node state (see
 * prune-scene.ts), runs the agent's prune — over the collector stream on the
 * built daemon, or as the one-shot binary — and checks against a model
 * written here, independent of the agent's code, from what CRI lists:
 *
 * - nothing removed is used by a container (any state), pinned, the sandbox
 *   image, keep-listed or protected;
 * - everything removed was eligible (mode, include, exclude, age), and
 *   without a usage target exactly the eligible images go;
 * - nothing removed is a possible only copy (not named recoverable by the
 *   collector; a one-shot run knows no registry) unless the case allows it;
 * - a dry run removes nothing; the result reports exactly what went.
 *
 * Two nodes run cases side by side.
 */
import type { CommandResult, PrunePolicy } from "@imagedrift/core";
import type { CriImage } from "@imagedrift/cri";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lab, startLab } from "../lab/index.js";
import { runAgent } from "./agent-process.js";
import { type CollectorStub, type CommandedAgent, startCollectorStub, startCommandedAgent } from "./collector-stub.js";
import { buildCase, type NodeCase, nodeCaseArb, openScene, pushSceneImages, type Scene } from "./prune-scene.js";

/** Cases per node (two nodes, one seed each); `PRUNE_SAFETY_RUNS` raises it for a longer soak. */
const RUNS_PER_NODE = Number(process.env.PRUNE_SAFETY_RUNS ?? 30);
const SEEDS = [20250601, 20250602];
const HOUR = 3_600_000;

/** What the cases covered, printed at the end: a property that never meets danger proves little. */
const stats = {
  cases: 0,
  viaDaemon: 0,
  dryRuns: 0,
  modes: {} as Record<string, number>,
  removed: 0,
  /** Images the mode (and include) selected that had to stay: in use, pinned, sandbox, keep-listed, protected. */
  heldBack: {} as Record<string, number>,
  containerStates: {} as Record<string, number>,
  danglingImages: 0,
  /** Images the case did not name recoverable, without allowUnrecoverable: they must stay. */
  onlyCopiesHeld: 0,
};
const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

interface Names {
  refs: string[];
  repos: string[];
}

/** Patterns with a predicate written without the agent's glob code. */
function patterns(host: string): { pattern: string; hit: (n: Names) => boolean }[] {
  return [
    {
      pattern: `${host}/pool/*`,
      hit: (n) => n.repos.some((r) => r.startsWith(`${host}/pool/`) && r.split("/").length === 3),
    },
    { pattern: `${host}/pool/a:*`, hit: (n) => n.refs.some((r) => r.startsWith(`${host}/pool/a:`)) },
    { pattern: `${host}/moving/**`, hit: (n) => n.repos.some((r) => r.startsWith(`${host}/moving/`)) },
    { pattern: "**/x:1", hit: (n) => n.refs.some((r) => r.endsWith("/x:1")) },
    { pattern: `${host}/local/built:dev`, hit: (n) => n.refs.includes(`${host}/local/built:dev`) },
    { pattern: `${host}/run/**`, hit: (n) => n.repos.some((r) => r.startsWith(`${host}/run/`)) },
    { pattern: "*/pool/b:alias", hit: (n) => n.refs.includes(`${host}/pool/b:alias`) },
    { pattern: `${host}/moving/m@sha256:*`, hit: (n) => n.refs.some((r) => r.startsWith(`${host}/moving/m@sha256:`)) },
  ];
}

const namesOf = (image: CriImage): Names => {
  const refs = [...image.repoTags, ...image.repoDigests];
  return { refs, repos: refs.map((r) => r.replace(/@.*$/, "").replace(/:[^:/]*$/, "")) };
};

interface PolicyCase {
  viaDaemon: boolean;
  mode: PrunePolicy["mode"];
  staleBits: number;
  keep: number[];
  include: number | null;
  exclude: number | null;
  protect: { kind: "tag" | "digest" | "id"; pick: number }[];
  olderThanMs: number | null;
  lastUsedBits: number;
  target: number | null;
  dryRun: boolean;
  /** Which images the collector says a registry serves (over the stream only). */
  recoverableBits: number;
  allowUnrecoverable: boolean;
}

/** `arb` in one case out of `oneIn`, else null. */
const sometimes = <T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> =>
  fc.oneof({ arbitrary: fc.constant(null), weight: oneIn - 1 }, { arbitrary: arb, weight: 1 });

const policyArb = (count: number): fc.Arbitrary<PolicyCase> =>
  fc.record({
    viaDaemon: fc.boolean(),
    mode: fc.constantFrom<PrunePolicy["mode"]>("dangling", "unused", "stale"),
    staleBits: fc.nat(),
    keep: fc.oneof(fc.constant<number[]>([]), fc.subarray([...Array(count).keys()], { minLength: 1, maxLength: 2 })),
    include: sometimes(fc.nat(count - 1), 4),
    exclude: sometimes(fc.nat(count - 1), 4),
    protect: fc.array(fc.record({ kind: fc.constantFrom("tag", "digest", "id" as const), pick: fc.nat() }), {
      maxLength: 2,
    }),
    olderThanMs: sometimes(fc.constant(24 * HOUR), 4),
    lastUsedBits: fc.nat(),
    target: sometimes(fc.constantFrom(0, 50, 100), 5),
    dryRun: fc.nat(6).map((n) => n === 0),
    recoverableBits: fc.nat(),
    allowUnrecoverable: fc.nat(3).map((n) => n === 0),
  });

async function runPrune(
  scene: Scene,
  stub: CollectorStub,
  p: PolicyCase,
  spec: {
    policy: PrunePolicy;
    protect: string[];
    lastUsed: Record<string, string>;
    staleImageIds: string[];
    recoverable: string[];
    allowUnrecoverable: boolean;
  },
): Promise<CommandResult> {
  if (p.viaDaemon) {
    const run = await stub.run({ type: "prune", dryRun: p.dryRun, ...spec });
    expect(run.final.state, run.final.message).toBe("succeeded");
    return run.result;
  }
  const flag = (name: string, values: readonly string[] = []) => values.flatMap((v) => [name, v]);
  const run = await runAgent([
    "prune",
    "--cri-endpoint",
    scene.node.endpoint,
    "--node-name",
    scene.node.name,
    "--policy",
    spec.policy.mode,
    ...flag("--keep", spec.policy.keep),
    ...flag("--include", spec.policy.include),
    ...flag("--exclude", spec.policy.exclude),
    ...flag("--protect", spec.protect),
    ...(spec.policy.targetUsagePercent === undefined
      ? []
      : ["--target-usage-percent", String(spec.policy.targetUsagePercent)]),
    ...(p.dryRun ? ["--dry-run"] : []),
    ...(spec.allowUnrecoverable ? ["--allow-unrecoverable"] : []),
  ]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as CommandResult;
}

/** One case: build the node, plan with the model, prune, compare. */
async function checkCase(scene: Scene, stub: CollectorStub, nodeCase: NodeCase, drawn: PolicyCase): Promise<void> {
  // A one-shot run knows no registry: stale goes over the stream. It knows no history either: olderThan is dropped.
  const p = { ...drawn, viaDaemon: drawn.viaDaemon || drawn.mode === "stale" };
  const { cri, lab } = scene;
  await buildCase(scene, nodeCase);
  const before = (await cri.listImages()).sort((a, b) => a.id.localeCompare(b.id));
  const containers = await cri.listContainers();
  const byRef = (ref: string) => before.find((i) => i.id === ref || i.repoTags.includes(ref))?.id;
  const used = new Set(containers.flatMap((c) => [byRef(c.imageRef), byRef(c.image?.image ?? "")]));
  const pats = patterns(lab.registry.host);

  const mode = p.mode;
  const olderThanMs = p.viaDaemon ? p.olderThanMs : null;
  const ids = before.map((i) => i.id);
  const stale = ids.filter((_, i) => (p.staleBits >> i) & 1);
  // A one-shot run asks no registry: nothing is known to be recoverable there.
  const recoverable = p.viaDaemon ? ids.filter((_, i) => (p.recoverableBits >> i) & 1) : [];
  const now = Date.now();
  const lastUsed = Object.fromEntries(
    ids
      .filter((_, i) => (p.lastUsedBits >> i) & 1)
      .map((id, i) => [id, new Date(now - (i % 2 ? 48 : 2) * HOUR).toISOString()]),
  );
  const pool = { tag: before.flatMap((i) => i.repoTags), digest: before.flatMap((i) => i.repoDigests), id: ids };
  const protect = p.protect
    .map(({ kind, pick }) => pool[kind][pick % Math.max(1, pool[kind].length)])
    .filter((r): r is string => r !== undefined);
  const policy: PrunePolicy = {
    mode,
    ...(p.keep.length ? { keep: p.keep.map((k) => pats[k]?.pattern ?? "") } : {}),
    ...(p.include === null ? {} : { include: [pats[p.include]?.pattern ?? ""] }),
    ...(p.exclude === null ? {} : { exclude: [pats[p.exclude]?.pattern ?? ""] }),
    ...(olderThanMs === null ? {} : { olderThanMs }),
    ...(p.target === null ? {} : { targetUsagePercent: p.target }),
  };

  const why = (image: CriImage): string | null => {
    const names = namesOf(image);
    if (used.has(image.id)) return "used by a container";
    if (image.pinned) return "pinned";
    if (image.id === scene.pauseId) return "sandbox image";
    const keep = p.keep.find((k) => pats[k]?.hit(names));
    if (keep !== undefined) return `keep ${pats[keep]?.pattern}`;
    if (protect.some((r) => r === image.id || names.refs.includes(r))) return "protected";
    return null;
  };
  const eligible = (image: CriImage): boolean => {
    const names = namesOf(image);
    if (why(image) !== null) return false;
    if (mode === "dangling" && image.repoTags.length > 0) return false;
    if (mode === "stale" && !stale.includes(image.id)) return false;
    if (policy.include && !pats[p.include ?? -1]?.hit(names)) return false;
    if (policy.exclude && pats[p.exclude ?? -1]?.hit(names)) return false;
    if (olderThanMs !== null) {
      const seen = lastUsed[image.id];
      if (seen === undefined || now - Date.parse(seen) < olderThanMs) return false;
    }
    if (!p.allowUnrecoverable && !recoverable.includes(image.id)) return false;
    return true;
  };
  const expected = before.filter(eligible).map((i) => i.id);
  stats.cases++;
  if (p.viaDaemon) stats.viaDaemon++;
  if (p.dryRun) stats.dryRuns++;
  bump(stats.modes, mode);
  for (const c of containers) bump(stats.containerStates, c.state);
  stats.danglingImages += before.filter((i) => i.repoTags.length === 0).length;
  for (const image of before) {
    const selected =
      (mode !== "dangling" || image.repoTags.length === 0) &&
      (mode !== "stale" || stale.includes(image.id)) &&
      (!policy.include || pats[p.include ?? -1]?.hit(namesOf(image)));
    const reason = why(image);
    if (selected && reason !== null) bump(stats.heldBack, reason.startsWith("keep") ? "keep" : reason);
    const states = new Set(containers.filter((c) => byRef(c.imageRef) === image.id).map((c) => c.state));
    if (selected && reason === "used by a container" && states.size === 1)
      bump(stats.heldBack, `only ${[...states][0]}`);
  }

  if (!p.allowUnrecoverable) stats.onlyCopiesHeld += before.filter((i) => !recoverable.includes(i.id)).length;
  const result = await runPrune(scene, stub, p, {
    policy,
    protect,
    lastUsed,
    staleImageIds: stale,
    recoverable,
    allowUnrecoverable: p.allowUnrecoverable,
  });
  const after = new Set((await cri.listImages()).map((i) => i.id));
  const gone = before.filter((i) => !after.has(i.id));
  const context = JSON.stringify({
    policy,
    protect,
    stale,
    recoverable,
    allowUnrecoverable: p.allowUnrecoverable,
    gone: gone.map((i) => [i.id.slice(7, 19), i.repoTags, i.repoDigests]),
  });

  for (const image of gone) {
    expect(why(image), `removed ${image.repoTags[0] ?? image.id}: ${context}`).toBeNull();
    expect(eligible(image), `removed an ineligible image ${image.repoTags[0] ?? image.id}: ${context}`).toBe(true);
  }
  expect(after.has(scene.pauseId)).toBe(true);
  expect((await cri.listContainers()).map((c) => c.id).sort()).toEqual(containers.map((c) => c.id).sort());
  stats.removed += gone.length;
  const reported = (result.removed ?? []).map((r) => r.id).sort();
  if (p.dryRun) {
    expect(gone, context).toEqual([]);
    if (p.target === null) expect(reported, context).toEqual(expected);
  } else {
    expect(reported, context).toEqual(gone.map((i) => i.id));
    if (p.target === null)
      expect(
        gone.map((i) => i.id),
        context,
      ).toEqual(expected);
  }
}

describe("prune never removes what must stay, over random node states on real containerd", () => {
  let lab: Lab;
  const scenes: Scene[] = [];
  const stubs: CollectorStub[] = [];
  const agents: CommandedAgent[] = [];

  beforeAll(async () => {
    lab = await startLab({ nodes: 2 });
    const pushed = await pushSceneImages(lab);
    for (const node of lab.nodes) {
      const stub = await startCollectorStub();
      stubs.push(stub);
      agents.push(
        await startCommandedAgent({
          endpoint: node.endpoint,
          nodeName: node.name,
          dir: lab.dir,
          collector: stub.address,
        }),
      );
      await stub.connected();
      scenes.push(await openScene(lab, node, pushed));
    }
  });

  afterAll(async () => {
    await Promise.allSettled(agents.map((a) => a.stop()));
    await Promise.allSettled(stubs.map((s) => s.stop()));
    for (const scene of scenes) scene.close();
    await lab?.stop();
  });

  it(`holds for ${RUNS_PER_NODE * SEEDS.length} random cases`, { timeout: 400_000 }, async () => {
    const started = performance.now();
    const count = patterns("h").length;
    await Promise.all(
      scenes.map((scene, i) =>
        fc.assert(
          fc.asyncProperty(nodeCaseArb, policyArb(count), (nodeCase, policyCase) =>
            checkCase(scene, stubs[i] as CollectorStub, nodeCase, policyCase),
          ),
          { seed: SEEDS[i] ?? 1, numRuns: RUNS_PER_NODE, endOnFailure: true },
        ),
      ),
    );
    console.log(
      `[prune-safety] ${stats.cases} cases on 2 nodes in ${((performance.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(stats)}`,
    );
    // The cases must have met what they guard against.
    const only = ["only CONTAINER_CREATED", "only CONTAINER_RUNNING", "only CONTAINER_EXITED"];
    for (const reason of ["used by a container", ...only, "sandbox image", "keep", "protected"]) {
      expect(stats.heldBack[reason] ?? 0, `cases holding back an image as ${reason}`).toBeGreaterThan(0);
    }
    for (const state of ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED"]) {
      expect(stats.containerStates[state] ?? 0, state).toBeGreaterThan(0);
    }
    expect(stats.onlyCopiesHeld, "cases holding back a possible only copy").toBeGreaterThan(0);
  });
});
