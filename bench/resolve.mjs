/**
 * resolve: one resolve cycle of the real TagResolver (packages/collector,
 * built) for N nodes sharing 300 tags, each node asking for its own tags at
 * once (as N inventories arriving do), with the registry behind the counting
 * proxy of test/registry. Requests are counted against naive per-node
 * resolution (N × tags), and the cycle's wall time against sequential
 * `skopeo inspect` of the same tags through the same proxy.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { loadRegistriesConfig, TagResolver } from "../packages/collector/dist/registry/index.js";
import { fmtMs } from "./lib/measure.mjs";
import { runOk } from "./lib/procs.mjs";
import { row } from "./lib/report.mjs";
import { countingProxy } from "./lib/reuse.mjs";

const INTERVAL_MS = 5 * 60_000;

async function profiled(file, fn) {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  try {
    return await fn();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

async function registries(dir, name, yaml) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return loadRegistriesConfig(file, (p) => readFile(p, "utf8"));
}

/** N nodes each asking for all `tags` at once; returns wall ms, the proxy's counts and how many tags were found. */
async function cycle({ proxy, config, nodes, tags }) {
  const resolver = new TagResolver({ registries: config, resolveIntervalMs: INTERVAL_MS });
  const before = proxy.seen.length;
  const t0 = performance.now();
  const answers = await Promise.all(Array.from({ length: nodes }, () => resolver.resolve(tags)));
  const ms = performance.now() - t0;
  const seen = proxy.seen.slice(before);
  const found = tags.filter((t) => answers.every((a) => a.get(t)?.state === "found")).length;
  return { ms, requests: seen.length, heads: seen.filter((s) => s.startsWith("HEAD ")).length, found };
}

export async function resolveBench(ctx) {
  const { lab, log } = ctx;
  const nodes = ctx.nodes;
  const tags = ctx.tags.map((t) => t.ref);
  const dir = join(ctx.dir, "resolve");
  mkdirSync(dir, { recursive: true });
  const { startCountingProxy } = await countingProxy();
  const proxy = await startCountingProxy(lab.registry.url);
  try {
    const host = lab.registry.host;
    // This cycle waits on the registry's rate limiter, not on the CPU: run.mjs may do slow setup meanwhile.
    const background = ctx.whileRateLimited?.();
    const polite = await cycle({
      proxy,
      config: await registries(dir, "default", `registries:\n  - host: "${host}"\n    mirror: ${proxy.url}\n`),
      nodes,
      tags,
    });
    log(
      `resolve: ${nodes} nodes × ${tags.length} tags: ${polite.requests} requests, ${fmtMs(polite.ms)}, ${polite.found} found`,
    );
    if (background) {
      await background.note;
      log("  (background work done)");
    }
    const liftedConfig = await registries(
      dir,
      "lifted",
      `registries:\n  - host: "${host}"\n    mirror: ${proxy.url}\n    requestsPerSecond: 10000\n`,
    );
    const lifted = await cycle({ proxy, config: liftedConfig, nodes, tags });
    log(`  rate limit lifted: ${lifted.requests} requests, ${fmtMs(lifted.ms)}`);
    if (ctx.profile) {
      // The same cycle again, profiled in this process: what the resolver itself costs for N callers.
      await profiled(join(ctx.profileDir, "resolver-lifted.cpuprofile"), async () =>
        cycle({ proxy, config: liftedConfig, nodes, tags }),
      );
    }

    // --quick inspects every third tag and scales the time up (one process per tag: the cost per tag is flat).
    const proxyHost = proxy.url.replace(/^http:\/\//, "");
    const sample = ctx.quick ? ctx.tags.filter((_, i) => i % 3 === 0) : ctx.tags;
    const before = proxy.seen.length;
    const t0 = performance.now();
    for (const t of sample) {
      await runOk("skopeo", ["inspect", "--tls-verify=false", `docker://${proxyHost}/${t.repo}:${t.tag}`]);
    }
    const skopeoMs = ((performance.now() - t0) * ctx.tags.length) / sample.length;
    const skopeoRequests = proxy.seen.length - before;
    const skopeoNote =
      sample.length === ctx.tags.length
        ? `skopeo made ${skopeoRequests} requests`
        : `skopeo timed on ${sample.length} of the ${ctx.tags.length} tags (every third) and scaled up, --quick; it made ${skopeoRequests} requests for them`;
    log(
      `  sequential skopeo inspect: ${fmtMs(skopeoMs)} for ${ctx.tags.length} tags (${sample.length} run), ${skopeoRequests} requests`,
    );

    return [
      row({
        name: `resolve: registry requests, ${nodes} nodes sharing ${tags.length} tags, one cycle`,
        value: polite.requests,
        unit: "requests",
        peer: "naive per-node resolution: nodes x tags (computed, not run)",
        peerValue: nodes * tags.length,
        target: `value <= ${tags.length}`,
        notes:
          `counted by the proxy in front of the registry: ${polite.heads} HEAD manifest requests, ${polite.requests} in all; ` +
          `${polite.found}/${tags.length} tags found for every node. Must equal the distinct tags (${tags.length}).`,
      }),
      row({
        name: `resolve: TagResolver cycle wall time, ${tags.length} tags, default politeness`,
        value: polite.ms / 1000,
        unit: "s",
        peer: `sequential skopeo inspect --tls-verify=false of the same ${tags.length} tags, same proxy`,
        peerValue: skopeoMs / 1000,
        notes:
          `defaults: 10 requests/s and 4 in flight per registry (packages/collector/src/registry/rate-limit.ts): ` +
          `${tags.length} tags cannot take less than ${((tags.length - 10) / 10).toFixed(0)} s.` +
          `${background ? ` Meanwhile: ${background.what}.` : ""} ` +
          `${skopeoNote} (per tag: a /v2/ ping, the manifest and the config).`,
      }),
      row({
        name: `resolve: TagResolver cycle wall time, ${tags.length} tags, requestsPerSecond 10000`,
        value: lifted.ms / 1000,
        unit: "s",
        peer: `sequential skopeo inspect --tls-verify=false of the same ${tags.length} tags, same proxy`,
        peerValue: skopeoMs / 1000,
        notes: `requestsPerSecond lifted in --registries-config, 4 in flight (the default): ${lifted.requests} requests.`,
      }),
    ];
  } finally {
    await proxy.close();
  }
}
