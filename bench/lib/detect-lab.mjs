/**
 * The detect benchmark's lab: 3 containerd nodes and a docker-registry 2.8
 * whose push notifications go to the built collector, the collector reaching
 * the registry through test/registry's counting proxy (its `mirror`), and one
 * built agent per node; tags pulled onto every node. Every process is bound to
 * 127.0.0.1 and stopped by PID.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, get } from "node:http";
import { join } from "node:path";
import { CriClient } from "@imagedrift/cri";
import { freePort, startLab } from "../../test/dist/lab/index.js";
import { until } from "./measure.mjs";
import { startAgent, startCollector } from "./procs.mjs";
import { putBlob } from "./registry-fixture.mjs";
import { countingProxy } from "./reuse.mjs";

export const DETECT_NODES = ["d1", "d2", "d3"];

/**
 * The bench reads the collector from a source address of its own: the
 * registry's notifications come from 127.0.0.1, and the REST rate limit is
 * per client address (polling every 50 ms must not take the registry's share).
 */
const reader = new Agent({ keepAlive: true, localAddress: "127.0.0.2" });

/** GET a list of the collector's REST API (few items here: one page). */
export function listOf(url, path) {
  return new Promise((resolve, reject) => {
    get(`${url}${path}`, { agent: reader }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => {
        body += chunk;
      });
      response.on("end", () => {
        if (response.statusCode !== 200) reject(new Error(`GET ${path}: ${response.statusCode} ${body}`));
        else resolve(JSON.parse(body).items);
      });
      response.on("error", reject);
    }).on("error", reject);
  });
}

/** The sum of a Prometheus counter's series whose line contains `match`. */
export async function metricSum(url, name, match = "") {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) && line.includes(match))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

/** CRI PullImage of `ref` on each node (one client per node, closed after). */
export async function pullOn(lab, nodes, ref) {
  await Promise.all(
    nodes.map(async (name) => {
      const cri = CriClient.connect({ endpoint: lab.node(name).endpoint, timeoutMs: 120_000 });
      try {
        await cri.pullImage(ref, { timeoutMs: 120_000 });
      } finally {
        cri.close();
      }
    }),
  );
}

/**
 * Pushes a single-platform lab image as `repo:tag` over the distribution API
 * (blobs, then the manifest) and returns when the manifest PUT was answered:
 * the moment the push is done, which skopeo's exit follows by a varying lag.
 */
export async function pushManifest(registryUrl, image, repo, tag) {
  const blob = (digest) => readFileSync(join(image.dir, "blobs/sha256", digest.slice("sha256:".length)));
  const bytes = blob(image.digest);
  const manifest = JSON.parse(bytes.toString("utf8"));
  for (const d of [manifest.config, ...manifest.layers]) await putBlob(registryUrl, repo, blob(d.digest));
  const put = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    headers: { "content-type": image.mediaType },
    body: bytes,
  });
  if (put.status !== 201) throw new Error(`PUT manifest ${repo}:${tag}: ${put.status} ${await put.text()}`);
  return performance.now();
}

/** A registries config that sends the collector's requests for the lab registry through `proxyUrl`. */
function registriesConfig(dir, name, host, proxyUrl) {
  const file = join(dir, `${name}-registries.yaml`);
  writeFileSync(file, `registries:\n  - host: "${host}"\n    mirror: ${proxyUrl}\n`);
  return file;
}

/**
 * Waits until the collector knows every node as reporting and each of `refs`
 * held by every node at the registry's digest, with no finding about them.
 */
export async function settled(url, refs, nodes, timeoutMs = 120_000) {
  await until(
    async () => {
      const reporting = (await listOf(url, "/api/v1/nodes")).filter((n) => n.connected && n.state === "reporting");
      if (reporting.length !== nodes.length) return false;
      const tags = new Map((await listOf(url, "/api/v1/tags?view=summary")).map((t) => [t.reference, t]));
      const current = (t) =>
        t?.registryDigest && t.nodeCount === nodes.length && t.digests.every((d) => d.digest === t.registryDigest);
      const held = refs.every((r) => current(tags.get(r)));
      if (!held) return false;
      const open = new Set((await listOf(url, "/api/v1/findings")).map((f) => f.reference));
      return refs.every((r) => !open.has(r));
    },
    { what: `${refs.length} tags held by ${nodes.length} nodes, resolved, without findings`, timeoutMs },
  );
}

/**
 * Starts the lab, the counting proxy, the collector (notifications on, the
 * default resolve interval) and the agents (default event mode), and has
 * `tagCount` tags pushed and pulled onto every node.
 */
export async function startDetectLab({ dir, tagCount, log }) {
  mkdirSync(dir, { recursive: true });
  // Made per run and written only to files of mode 0600: it never reaches a log.
  const eventsToken = randomBytes(24).toString("hex");
  const httpPort = await freePort();
  const parts = { agents: [], pollAgents: [] };
  const stop = async () => {
    await Promise.allSettled([...parts.agents, ...parts.pollAgents].map((a) => a.stop()));
    await Promise.allSettled([parts.collector?.stop(), parts.pollCollector?.stop()]);
    await Promise.allSettled([parts.proxy?.close(), parts.pollProxy?.close()]);
    // The registry's log (its notifications' delivery) is kept with the others; the lab dir goes.
    const registryLog = parts.lab?.registry.logFile;
    if (registryLog && existsSync(registryLog)) copyFileSync(registryLog, join(dir, "registry.log"));
    await parts.lab?.stop();
  };
  try {
    // The registry's config names the collector's URL, so the collector's port is chosen first.
    parts.lab = await startLab({
      nodes: DETECT_NODES,
      registryNotifications: [
        { name: "imagedrift", url: `http://127.0.0.1:${httpPort}/api/v1/registry-events`, token: eventsToken },
      ],
    });
    const lab = parts.lab;
    const { startCountingProxy } = await countingProxy();
    parts.proxy = await startCountingProxy(lab.registry.url);
    const tokenFile = join(dir, "registry-events-token");
    writeFileSync(tokenFile, `${eventsToken}\n`, { mode: 0o600 });
    parts.collectorStartedAt = performance.now();
    parts.collector = await startCollector({
      dir,
      name: "detect-collector",
      httpPort,
      extraArgs: [
        "--registry-events-token-file",
        tokenFile,
        "--registries-config",
        registriesConfig(dir, "detect", lab.registry.host, parts.proxy.url),
      ],
    });
    for (const node of DETECT_NODES) {
      parts.agents.push(
        await startAgent({
          dir,
          node,
          endpoint: lab.node(node).endpoint,
          collector: parts.collector.grpcAddress,
        }),
      );
    }
    await until(
      async () => {
        const modes = await Promise.all(
          parts.agents.map((a) => metricSum(a.url, "imagedrift_agent_scan_mode", 'mode="events"')),
        );
        return modes.every((m) => m === 1);
      },
      { what: "every agent following containerd's event stream", timeoutMs: 30_000 },
    );
    const refs = [];
    for (let i = 0; i < tagCount; i++) {
      const ref = lab.ref(`bench/detect-${i}:latest`);
      await lab.buildAndPush(ref, { salt: `detect ${i} initial` });
      refs.push(ref);
    }
    for (const ref of refs) await pullOn(lab, DETECT_NODES, ref);
    await settled(parts.collector.url, refs, DETECT_NODES);
    log(`detect: lab at ${lab.dir}; ${refs.length} tags held by ${DETECT_NODES.join(" ")}; agents on the event stream`);
    // The object stop() closes over: what startPollingPeer adds to it is stopped too.
    return Object.assign(parts, { refs, stop });
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Pushes a new tag, pulls it onto every node and waits until the collector shows it current; returns it. */
export async function holdTag(parts, ref, salt) {
  await parts.lab.buildAndPush(ref, { salt });
  await pullOn(parts.lab, DETECT_NODES, ref);
  await settled(parts.collector.url, [ref], DETECT_NODES);
  return ref;
}

/**
 * The polling peer beside it, for the registry request count: a second
 * collector without notifications at a shortened `--resolve-interval`,
 * behind a proxy of its own, and agents with `--events off` on the same nodes.
 */
export async function startPollingPeer(parts, { dir, resolveInterval }) {
  mkdirSync(dir, { recursive: true });
  const { startCountingProxy } = await countingProxy();
  parts.pollProxy = await startCountingProxy(parts.lab.registry.url);
  parts.pollCollector = await startCollector({
    dir,
    name: "detect-polling-collector",
    resolveInterval,
    extraArgs: ["--registries-config", registriesConfig(dir, "polling", parts.lab.registry.host, parts.pollProxy.url)],
  });
  for (const node of DETECT_NODES) {
    parts.pollAgents.push(
      await startAgent({
        dir,
        node,
        endpoint: parts.lab.node(node).endpoint,
        collector: parts.pollCollector.grpcAddress,
        extraArgs: ["--events", "off"],
      }),
    );
  }
  await settled(parts.pollCollector.url, parts.refs, DETECT_NODES);
}
