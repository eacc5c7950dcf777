/**
 * detect: how soon drift shows in GET /api/v1/findings after the event that
 * caused it, on the lab (lib/detect-lab.mjs: 3 containerd nodes, a real
 * docker-registry posting its push notifications to the built collector, the
 * built agents on containerd's event stream), and what the collector asks of
 * the registry for it.
 *
 * Each trial: a new digest of a tag all 3 nodes hold is pushed (its blobs, then
 * its manifest, over the distribution API), and the time from the answer to
 * the manifest PUT to the tag's stale-tag finding is taken
 * (GET every 50 ms); then node d3 pulls the tag (CRI PullImage) and the time
 * from the pull's end to the inconsistent-tag finding is taken; then d1 and d2
 * pull it too, and the next trial starts once the tag has no finding.
 *
 * The peers are today's polling defaults, computed rather than waited for
 * (minutes per trial): a change arriving at a uniformly random moment is seen
 * at the next tick, after interval × q at quantile q.
 */
import { join } from "node:path";
import {
  DETECT_NODES,
  holdTag,
  listOf,
  pullOn,
  pushManifest,
  settled,
  startDetectLab,
  startPollingPeer,
} from "./lib/detect-lab.mjs";
import { fmtMs, median, percentile, sleep, until } from "./lib/measure.mjs";
import { row } from "./lib/report.mjs";

/** The collector's --resolve-interval and the agent's --interval by default (collector-program.ts, agent config.ts). */
const RESOLVE_INTERVAL_S = 300;
const AGENT_INTERVAL_S = 60;
const TARGET_S = 2;
/** The polling peer's shortened resolve interval for counting requests, scaled to the defaults. */
const PEER_RESOLVE_S = 5;
const POLL_MS = 50;
/** A finding not seen this long after its event counts as missed (at this value in the percentiles). */
const MISS_AFTER_MS = 10_000;

/** What the collector and the proxy saw of `ref`, for the error when a finding never came. */
async function diagnosis(parts, ref) {
  const text = await (await fetch(`${parts.collector.url}/metrics`)).text();
  const counters = text
    .split("\n")
    .filter((l) => /^imagedrift_registry_(events|requests)_total\{/.test(l))
    .join("; ");
  const view = (await listOf(parts.collector.url, "/api/v1/tags?view=summary")).find((t) => t.reference === ref);
  return `tag now ${JSON.stringify(view)}; ${counters}; last registry requests: ${parts.proxy.seen.slice(-6).join(", ")}`;
}

/**
 * Polls GET /api/v1/findings?kind=… every 50 ms until `match` finds one;
 * returns ms since `from`, or null when none came within MISS_AFTER_MS (logged
 * with what the collector shows of the tag).
 */
async function findingAfter(parts, { kind, match, from, what, ref, log }) {
  try {
    await until(async () => (await listOf(parts.collector.url, `/api/v1/findings?kind=${kind}`)).some(match), {
      what,
      timeoutMs: MISS_AFTER_MS,
      intervalMs: POLL_MS,
    });
  } catch (error) {
    log(`  MISSED: ${error.message}: ${await diagnosis(parts, ref)}`);
    return null;
  }
  return performance.now() - from;
}

/** `host/repo:tag` → [repo, tag]. */
function splitRef(ref, host) {
  const path = ref.slice(host.length + 1);
  const colon = path.lastIndexOf(":");
  return [path.slice(0, colon), path.slice(colon + 1)];
}

async function trial(parts, i, log) {
  const { lab, collector, proxy, refs } = parts;
  const slot = i % refs.length;
  const ref = refs[slot];
  const image = await lab.build({ salt: `detect ${i} trial` });
  const requests0 = proxy.seen.length;
  const pushStart = performance.now();
  const [repo, tag] = splitRef(ref, lab.registry.host);
  const pushed = await pushManifest(lab.registry.url, image, repo, tag);
  const staleMs = await findingAfter(parts, {
    kind: "stale-tag",
    match: (f) => f.reference === ref && f.registryDigest === image.digest,
    from: pushed,
    what: `the stale-tag finding of ${ref} after its push (trial ${i + 1})`,
    ref,
    log,
  });
  const pushRequests = proxy.seen.length - requests0;
  const pushHeads = proxy.seen.slice(requests0).filter((r) => r.startsWith("HEAD ")).length;

  const pullStart = performance.now();
  await pullOn(lab, ["d3"], ref);
  const pulled = performance.now();
  const inconsistentMs = await findingAfter(parts, {
    kind: "inconsistent-tag",
    match: (f) => f.reference === ref && f.digests.includes(image.digest),
    from: pulled,
    what: `the inconsistent-tag finding of ${ref} after d3 pulled it (trial ${i + 1})`,
    ref,
    log,
  });
  const pullRequests = proxy.seen.length - requests0 - pushRequests;

  // Back to every node at the registry's digest, without findings: the next trial starts from there.
  await pullOn(lab, ["d1", "d2"], ref);
  if (staleMs === null) {
    // The collector's answer for this tag is the old digest until its next resolve (minutes away): the
    // tag's findings stay wrong until then, so later trials use a new tag in its place.
    refs[slot] = await holdTag(parts, lab.ref(`bench/detect-${refs.length + i}:latest`), `detect ${i} replacement`);
  } else {
    await settled(collector.url, [ref], DETECT_NODES, 60_000);
  }
  return {
    staleMs,
    inconsistentMs,
    pushMs: pushed - pushStart,
    pullMs: pulled - pullStart,
    pushRequests,
    pushHeads,
    pullRequests,
  };
}

const seconds = (ms) => ms / 1000;
const shown = (ms) => (ms === null ? `MISSED (none within ${MISS_AFTER_MS / 1000} s)` : fmtMs(ms));
const list = (values) => values.map((v) => v.toFixed(0)).join(", ");

export async function detectBench(ctx) {
  const { log } = ctx;
  const trials = ctx.quick ? 10 : 25;
  const windowS = ctx.quick ? 30 : 180;
  const dir = join(ctx.dir, "detect");
  const parts = await startDetectLab({ dir, tagCount: 10, log });
  try {
    const results = [];
    for (let i = 0; i < trials; i++) {
      const r = await trial(parts, i, log);
      results.push(r);
      log(
        `  trial ${i + 1}/${trials}: push→stale-tag ${shown(r.staleMs)}, pull→inconsistent-tag ${shown(r.inconsistentMs)} ` +
          `(push ${fmtMs(r.pushMs)}, pull ${fmtMs(r.pullMs)}; registry requests ${r.pushRequests} + ${r.pullRequests})`,
      );
    }
    const stale = results.map((r) => r.staleMs ?? MISS_AFTER_MS);
    const inconsistent = results.map((r) => r.inconsistentMs ?? MISS_AFTER_MS);
    const missed = (key) => results.filter((r) => r[key] === null).length;
    const perTrial = (key) => results.map((r) => (r[key] === null ? "missed" : r[key].toFixed(0))).join(", ");
    const misses = (key) =>
      missed(key) === 0
        ? ""
        : ` ${missed(key)} of ${trials} not seen within ${MISS_AFTER_MS / 1000} s, counted as ${MISS_AFTER_MS / 1000} s (so the percentiles above them are lower bounds).`;
    const pushRequests = results.map((r) => r.pushRequests);
    const pullRequests = results.map((r) => r.pullRequests);

    log(`detect: registry requests at steady state over ${windowS} s, beside a polling collector`);
    await startPollingPeer(parts, { dir: join(dir, "polling"), resolveInterval: `${PEER_RESOLVE_S}s` });
    // Steady state starts at the first tick that asks: the tick after the tags' first resolve (when the
    // inventories came) finds them fresh and asks nothing.
    const mark = parts.pollProxy.seen.length;
    await until(() => parts.pollProxy.seen.length > mark, {
      what: "the polling collector's first tick that asks the registry",
      timeoutMs: 4 * PEER_RESOLVE_S * 1000,
      intervalMs: 20,
    });
    const before = { events: parts.proxy.seen.length, polling: parts.pollProxy.seen.length };
    const tickOf = () => Math.floor((performance.now() - parts.collectorStartedAt) / (RESOLVE_INTERVAL_S * 1000));
    const firstTick = tickOf();
    // The window is the measurement itself (requests counted over a span of time), not a wait for an event.
    await sleep(windowS * 1000);
    const eventsCount = parts.proxy.seen.length - before.events;
    const eventsTicks = tickOf() - firstTick;
    const pollingCount = parts.pollProxy.seen.length - before.polling;
    const asked = parts.pollProxy.seen.slice(before.polling);
    const heads = asked.filter((s) => s.startsWith("HEAD ")).length;
    // Each cycle asks each tag once: the asks of one tag count the cycles that fell in the window.
    const firstTag = new URL(`http://${parts.refs[0]}`).pathname.replace(/:([^:/]+)$/, "/manifests/$1");
    const cycles = asked.filter((s) => s === `HEAD /v2${firstTag}`).length;
    log(`  events collector: ${eventsCount} requests; polling collector (every ${PEER_RESOLVE_S} s): ${pollingCount}`);
    const tags = parts.refs.length;
    // The measured rate at the shortened interval, scaled to another: the same requests per tick, ticks as often as the interval.
    const perHour = (intervalS) => pollingCount * (3600 / windowS) * (PEER_RESOLVE_S / intervalS);
    const targetInterval = TARGET_S / 0.95;
    const ticks = Math.floor(windowS / PEER_RESOLVE_S);
    const steady =
      `Requests counted by test/registry's counting proxy in front of the registry. Measured: a collector without notifications at --resolve-interval ${PEER_RESOLVE_S}s ` +
      `(shortened), polling agents (--events off), ${tags} tags held by ${DETECT_NODES.length} nodes, made ${pollingCount} requests (${heads} HEAD) in ${windowS} s, scaled to per hour at the interval named. The window starts at its first tick that asks; ` +
      `its ${ticks} ticks in the window asked the tags ${cycles} times${cycles < ticks ? " (a tick less than an interval after the last batch began finds the answers fresh)" : ""}. ` +
      `The events collector (default --resolve-interval ${RESOLVE_INTERVAL_S / 60}m, which stays its safety net: there is no separate one) asks the same per tick; ` +
      `it made ${eventsCount} requests in the same window, which held ${eventsTicks} of its ticks` +
      `${eventsTicks > 0 ? " (a tick skips the tags asked less than an interval before it: first resolves, pushes)" : ""}. A push of a held tag adds ${median(pushRequests)} (median; ${list(pushRequests)} per trial: the HEAD, and the new digest's ` +
      `manifest read once for what it gives per platform, since nodes hold another digest); a node's pull adds ${Math.max(...pullRequests)} at most.`;

    const reasked = results.filter((r) => r.staleMs !== null && r.pushHeads > 1);
    const once = results.filter((r) => r.staleMs !== null && r.pushHeads === 1);
    const medianOf = (rs) => (rs.length === 0 ? "-" : `${median(rs.map((r) => r.staleMs)).toFixed(0)} ms`);
    const where =
      `${reasked.length} of ${trials} pushes took more than one HEAD (the first still answered the previous digest: docker-registry 2.8 notifies ` +
      `before it moves the tag), median ${medianOf(reasked)}; the other ${once.length}, median ${medianOf(once)}.`;
    const staleNote =
      `${trials} trials on ${DETECT_NODES.length} lab nodes, ${tags} held tags taken in turn; from the answer to the manifest PUT that ends the push (over the distribution API: blobs, then the manifest; ` +
      `${list(results.map((r) => r.pushMs))} ms) to the finding in GET /api/v1/findings?kind=stale-tag, polled every ${POLL_MS} ms; per trial ${perTrial("staleMs")} ms.${misses("staleMs")} ` +
      `Path: docker-registry's notification → POST /api/v1/registry-events → HEAD of the tag → recompute. ${where} Percentiles nearest-rank` +
      `${trials < 20 ? ` (with ${trials} trials p95 is the slowest)` : ""}. ` +
      `Peer computed, not run: polling defaults see a push at the next --resolve-interval tick (${RESOLVE_INTERVAL_S} s), uniformly distributed, so interval × q; the time after the tick is left out (in the peer's favour).`;
    const inconsistentNote =
      `${trials} trials: from the end of d3's CRI PullImage of the new digest (pull ${list(results.map((r) => r.pullMs))} ms) to the inconsistent-tag finding, ` +
      `polled every ${POLL_MS} ms; per trial ${perTrial("inconsistentMs")} ms.${misses("inconsistentMs")} Path: containerd event → the agent's burst window (100 ms quiet, 1 s at most) → scan → inventory → recompute. ` +
      `Peer computed, not run: an agent polling at its default --interval (${AGENT_INTERVAL_S} s, --events off) sees the pull at its next scan: interval × q, scan and recompute left out.`;
    const p = (values, q) => seconds(percentile(values, q));
    return [
      row({
        name: "detect: push→stale-tag p50, registry notifications",
        value: p(stale, 50),
        unit: "s",
        peer: `polling defaults: the next --resolve-interval tick (${RESOLVE_INTERVAL_S} s × 0.5; computed)`,
        peerValue: RESOLVE_INTERVAL_S * 0.5,
        notes: staleNote,
      }),
      row({
        name: "detect: push→stale-tag p95, registry notifications",
        value: p(stale, 95),
        unit: "s",
        peer: `polling defaults: the next --resolve-interval tick (${RESOLVE_INTERVAL_S} s × 0.95; computed)`,
        peerValue: RESOLVE_INTERVAL_S * 0.95,
        target: `value <= ${TARGET_S}`,
        notes: staleNote,
      }),
      row({
        name: "detect: pull→inconsistent-tag p50, containerd events",
        value: p(inconsistent, 50),
        unit: "s",
        peer: `polling defaults: the agent's next scan (--interval ${AGENT_INTERVAL_S} s × 0.5; computed)`,
        peerValue: AGENT_INTERVAL_S * 0.5,
        notes: inconsistentNote,
      }),
      row({
        name: "detect: pull→inconsistent-tag p95, containerd events",
        value: p(inconsistent, 95),
        unit: "s",
        peer: `polling defaults: the agent's next scan (--interval ${AGENT_INTERVAL_S} s × 0.95; computed)`,
        peerValue: AGENT_INTERVAL_S * 0.95,
        target: `value <= ${TARGET_S}`,
        notes: inconsistentNote,
      }),
      row({
        name: `detect: pushes of a held tag whose stale-tag finding did not come within ${MISS_AFTER_MS / 1000} s`,
        value: missed("staleMs"),
        unit: `of ${trials}`,
        target: "value <= 0",
        notes:
          "A miss waits for the next --resolve-interval tick (up to 5 minutes). The bench prints each miss with the collector's view of the tag " +
          `and the registry requests it made. The same for pulls: ${missed("inconsistentMs")} of ${trials} missed.`,
      }),
      row({
        name: `detect: registry requests/hour at steady state, ${tags} held tags, events vs polling defaults`,
        value: perHour(RESOLVE_INTERVAL_S),
        unit: "requests/h",
        peer: `polling at the default --resolve-interval ${RESOLVE_INTERVAL_S / 60}m (scaled from the measured cycle)`,
        peerValue: perHour(RESOLVE_INTERVAL_S),
        notes: `${steady} Polling at the default interval costs as much and sees a push after ${RESOLVE_INTERVAL_S / 2} s on average.`,
      }),
      row({
        name: `detect: registry requests/hour at steady state, ${tags} held tags, events vs polling fast enough for p95 <= ${TARGET_S} s`,
        value: perHour(RESOLVE_INTERVAL_S),
        unit: "requests/h",
        peer: `polling every ${targetInterval.toFixed(1)} s (p95 = 0.95 × interval = ${TARGET_S} s; scaled from the measured cycle)`,
        peerValue: perHour(targetInterval),
        notes: steady,
      }),
    ];
  } finally {
    await parts.stop();
  }
}
