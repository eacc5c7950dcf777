/**
 * Fault: a registry answering 500, 429 with Retry-After, not answering at
 * all, or answering late (issue #8). Each behaviour is a FAKE registry
 * (fake-registry.ts: a scripted HTTP server on 127.0.0.1 in front of the lab's
 * real registry) that the real collector reaches as a loopback registry. Real
 * containerd nodes pulled `shop/app:1` through every fake; the tag was then
 * pushed again behind them, so a collector that guessed would call it stale.
 *
 * The collector's retry policy (packages/collector/src/registry/retry-policy.ts):
 * 3 tries per request; before try k+1 a full-jitter pause in
 * [0, min(4 s, 250 ms·2^(k-1))], or exactly the Retry-After of a 429/503 when
 * it is at most 30 s (a longer one leaves the registry alone until then);
 * 10 s per request. Spacing is read from each fake's request log.
 */
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import type { TagView } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findings, tag } from "../collector/api.js";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { type FakeRegistry, type FakeRequest, startFakeRegistry } from "./fake-registry.js";
import { reportRecovery, since } from "./recovery.js";

const REPO_TAG = "shop/app:1";
const RETRY = { attempts: 3, baseMs: 250, maxMs: 4_000, timeoutMs: 10_000 };
/** Timer and loopback latency allowed on top of a computed pause (CI runs other lab files beside this one). */
const SLACK_MS = 300;
/** Collector A resolves every 6 s; a round lasts at most 2 s (two 1 s Retry-After pauses): rounds stay apart. */
const RESOLVE_INTERVAL_A = "6s";
const ROUND_GAP_MS = 2_500;

type Fault = "500" | "429" | "429-long" | "slow" | "timeout";
const FAULTS: readonly Fault[] = ["500", "429", "429-long", "slow", "timeout"];

let lab: Lab;
let oldDigest: string;
let newDigest: string;
const fakes = new Map<Fault, FakeRegistry>();
/**
 * Collector A sees every fault but the timeout; B sees only the timeout, whose 30 s round would hold
 * up A's rounds (a collector runs its resolution rounds one after another).
 */
const collectors: { a?: Collector; b?: Collector } = {};
const agents: Agent[] = [];

const fake = (fault: Fault): FakeRegistry => {
  const found = fakes.get(fault);
  if (!found) throw new Error(`no fake for ${fault}`);
  return found;
};
const refOf = (fault: Fault) => `${fake(fault).host}/${REPO_TAG}`;
const urlA = () => collectors.a?.url ?? "";
const urlB = () => collectors.b?.url ?? "";

/** Requests split into resolution rounds: a pause longer than any retry pause starts a new round. */
function rounds(requests: readonly FakeRequest[], gapMs = ROUND_GAP_MS): number[][] {
  const out: number[][] = [];
  for (const { at } of requests) {
    const current = out[out.length - 1];
    const last = current?.[current.length - 1];
    if (current === undefined || last === undefined || at - last > gapMs) out.push([at]);
    else current.push(at);
  }
  return out;
}

const gaps = (times: readonly number[]) => times.slice(1).map((t, i) => t - (times[i] ?? t));

/** The tag as collector `url` shows it; a tag never resolved, or resolved with an error, must not judge nodes. */
function expectUnresolved(view: TagView | undefined, fault: Fault): void {
  expect(view, fault).toBeDefined();
  expect(view?.status, fault).toBe("unresolved");
  expect(view?.registryDigest, fault).toBeNull();
  expect(
    view?.nodes.map((n) => n.status),
    fault,
  ).toEqual(view?.nodes.map(() => "unknown"));
}

interface SilentRegistryOutcome {
  /** When each try of the first round reached the fake. */
  tries: number[];
  /** `tagStatus/nodeStatuses` seen through collector B's REST API, in order of first sight. */
  statuses: Set<string>;
  view: TagView;
  /** From the fake answering again to the tag resolved. */
  recoveredMs: number;
}

/**
 * Collector B against the silent fake, watched from its start: its three tries
 * of the first round, then the fake answers again right after the third
 * arrived, and the tag resolves once that try has timed out.
 */
async function watchSilentRegistry(): Promise<SilentRegistryOutcome> {
  const statuses = new Set<string>();
  const watch = async () => {
    const view = await tag(urlB(), refOf("timeout"));
    if (view) statuses.add(`${view.status}/${view.nodes.map((n) => n.status).join(",")}`);
    return view;
  };
  const tries = await waitFor(
    async () => {
      await watch();
      const requests = fake("timeout").manifestRequests(REPO_TAG);
      return requests.length >= RETRY.attempts ? requests.map((r) => r.at) : undefined;
    },
    { what: "3 tries against the silent fake", timeoutMs: 3 * RETRY.timeoutMs + 15_000, intervalMs: 50 },
  );
  const restored = performance.now();
  fake("timeout").script(REPO_TAG, { kind: "forward" });
  const view = await waitFor(
    async () => {
      const t = await watch();
      return t?.registryDigest ? t : undefined;
    },
    { what: "the silent fake's tag resolved", timeoutMs: RETRY.timeoutMs + 15_000, intervalMs: 100 },
  );
  return { tries, statuses, view, recoveredMs: since(restored) };
}

let silentRegistry: Promise<SilentRegistryOutcome>;

async function pullThrough(node: string, fault: Fault): Promise<void> {
  const cri = CriClient.connect({ endpoint: lab.node(node).endpoint });
  await cri.pullImage(refOf(fault)).finally(() => cri.close());
}

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1", "n2"] });
  oldDigest = await lab.buildAndPush(REPO_TAG, { salt: "registry faults v1" });
  for (const fault of FAULTS) fakes.set(fault, await startFakeRegistry(`http://${lab.registry.host}`));
  for (const fault of FAULTS) await pullThrough(fault === "timeout" ? "n2" : "n1", fault);
  newDigest = await lab.buildAndPush(REPO_TAG, { salt: "registry faults v2" });

  fake("500").script(REPO_TAG, { kind: "status", status: 500 });
  fake("429").script(REPO_TAG, { kind: "status", status: 429, retryAfter: "1" });
  fake("429-long").script(REPO_TAG, { kind: "status", status: 429, retryAfter: "120" });
  fake("slow").script(REPO_TAG, { kind: "slow", delayMs: 2_000 });
  fake("timeout").script(REPO_TAG, { kind: "hang" });

  for (const [key, node] of [
    ["a", "n1"],
    ["b", "n2"],
  ] as const) {
    // Inside the lab dir: the lab removes it.
    const dir = await mkdtemp(join(lab.dir, `collector-${key}-`));
    const collector = await startCollector({ dir, resolveInterval: key === "a" ? RESOLVE_INTERVAL_A : "2s" });
    collectors[key] = collector;
    agents.push(await startAgent({ dir, node, endpoint: lab.node(node).endpoint, collector: collector.grpcAddress }));
  }
  // Runs beside the tests of collector A; its test awaits it.
  silentRegistry = watchSilentRegistry();
  silentRegistry.catch(() => {});
});

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await Promise.allSettled([collectors.a?.stop(), collectors.b?.stop()]);
  await Promise.allSettled([...fakes.values()].map((f) => f.close()));
  await lab?.stop();
});

describe("a registry answering 500", () => {
  it("is retried with capped exponential backoff and full jitter, and its tag stays unresolved, never stale", async () => {
    const complete = await waitFor(
      () => {
        const all = rounds(fake("500").manifestRequests(REPO_TAG));
        return all.length >= 4 ? all.slice(0, -1) : undefined;
      },
      { what: "3 complete resolution rounds against the 500 fake", timeoutMs: 40_000, intervalMs: 200 },
    );
    const normalised: number[] = [];
    for (const round of complete) {
      expect(round).toHaveLength(RETRY.attempts);
      gaps(round).forEach((gap, i) => {
        const ceiling = Math.min(RETRY.maxMs, RETRY.baseMs * 2 ** i);
        expect(gap, `pause ${i + 1} of a round`).toBeLessThanOrEqual(ceiling + SLACK_MS);
        normalised.push(gap / ceiling);
      });
    }
    // Full jitter spreads the pauses over [0, ceiling]: not one fixed delay.
    expect(Math.max(...normalised) - Math.min(...normalised)).toBeGreaterThan(0.1);

    const view = await tag(urlA(), refOf("500"));
    expectUnresolved(view, "500");
    expect(view?.resolveError).toMatch(/answered 500/);
    console.log(
      `[faults] registry 500: ${complete.length} rounds of ${RETRY.attempts} tries; pauses ` +
        complete
          .map((r) =>
            gaps(r)
              .map((g) => g.toFixed(0))
              .join("+"),
          )
          .join(", ") +
        " ms",
    );
  });
});

describe("a registry answering 429 with Retry-After", () => {
  it("waits exactly the Retry-After between tries when it is short", async () => {
    const complete = await waitFor(
      () => {
        const all = rounds(fake("429").manifestRequests(REPO_TAG));
        return all.length >= 3 ? all.slice(0, -1) : undefined;
      },
      { what: "2 complete rounds against the 429 fake", timeoutMs: 30_000, intervalMs: 200 },
    );
    for (const round of complete) {
      expect(round).toHaveLength(RETRY.attempts);
      for (const gap of gaps(round)) {
        expect(gap).toBeGreaterThanOrEqual(1_000 - 100);
        expect(gap).toBeLessThanOrEqual(1_000 + SLACK_MS);
      }
    }
    const view = await tag(urlA(), refOf("429"));
    expectUnresolved(view, "429");
    expect(view?.resolveError).toMatch(/429/);
    console.log(
      `[faults] registry 429 with Retry-After: 1: pauses ${complete
        .map((r) =>
          gaps(r)
            .map((g) => g.toFixed(0))
            .join("+"),
        )
        .join(", ")} ms`,
    );
  });

  it("leaves the registry alone until a long Retry-After has passed", async () => {
    // Several rounds have run against the other fakes by now: this one was asked once.
    expect(rounds(fake("500").manifestRequests(REPO_TAG)).length).toBeGreaterThanOrEqual(3);
    expect(fake("429-long").manifestRequests(REPO_TAG)).toHaveLength(1);
    const view = await tag(urlA(), refOf("429-long"));
    expectUnresolved(view, "429-long");
    expect(view?.resolveError).toMatch(/asked to wait until|429/);
  });
});

describe("a slow registry", () => {
  it("is waited for within the request timeout: the tag resolves to the registry's digest, no retry", async () => {
    const view = await waitFor(
      async () => {
        const t = await tag(urlA(), refOf("slow"));
        return t?.registryDigest ? t : undefined;
      },
      { what: "the slow fake's tag resolved", timeoutMs: 20_000 },
    );
    expect(view.registryDigest).toBe(newDigest);
    expect(view.nodes.map((n) => [n.node, n.digest, n.status])).toEqual([["n1", oldDigest, "stale"]]);
    // One request per round: a late answer is an answer.
    for (const round of rounds(fake("slow").manifestRequests(REPO_TAG), 1_500)) expect(round).toHaveLength(1);
  });

  it("raises no stale-tag or missing-in-registry finding for a tag its registry did not answer", async () => {
    const judged = (await findings(urlA())).filter((f) => f.kind === "stale-tag" || f.kind === "missing-in-registry");
    for (const fault of ["500", "429", "429-long"] as const) {
      expect(judged.filter((f) => f.reference === refOf(fault))).toEqual([]);
    }
  });

  it("resolves the tags within a round once the registries answer again", async () => {
    const restored = performance.now();
    fake("500").script(REPO_TAG, { kind: "forward" });
    fake("429").script(REPO_TAG, { kind: "forward" });
    for (const fault of ["500", "429"] as const) {
      await waitFor(async () => (await tag(urlA(), refOf(fault)))?.registryDigest === newDigest, {
        what: `${fault} fake's tag resolved`,
        timeoutMs: 15_000,
        intervalMs: 100,
      });
      reportRecovery(`registry answering ${fault}`, since(restored), "from the registry answering again to resolved");
    }
    expect((await tag(urlA(), refOf("500")))?.nodes.map((n) => n.status)).toEqual(["stale"]);
  });
});

describe("a registry that does not answer", () => {
  it("times each try out after 10 s, backs off between tries, and keeps the tag unresolved, never stale", async () => {
    const { tries, statuses, view, recoveredMs } = await silentRegistry;
    // A try's 10 s start when the collector sends it, a little before it reaches the fake.
    gaps(tries).forEach((gap, i) => {
      expect(gap, `pause ${i + 1}`).toBeGreaterThanOrEqual(RETRY.timeoutMs - 1_000);
      expect(gap, `pause ${i + 1}`).toBeLessThanOrEqual(
        RETRY.timeoutMs + Math.min(RETRY.maxMs, RETRY.baseMs * 2 ** i) + 1_000,
      );
    });
    expect(view.registryDigest).toBe(newDigest);
    expect(view.nodes.map((n) => n.status)).toEqual(["stale"]);
    // Until the registry answered, the tag was unresolved and the node unknown: never stale.
    expect([...statuses]).toEqual(["unresolved/unknown", "stale/stale"]);
    // The third try was pending when the registry came back: it timed out first.
    expect(recoveredMs).toBeGreaterThan(RETRY.timeoutMs - 1_000);
    expect(recoveredMs).toBeLessThan(RETRY.timeoutMs + 2 * 2_000 + 2_000);
    reportRecovery(
      "registry not answering (3 tries × 10 s timeout)",
      recoveredMs,
      "from the registry answering again to resolved; the pending third try times out first",
    );
  });
});
