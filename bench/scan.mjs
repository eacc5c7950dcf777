/**
 * scan: a lab containerd holding 1,000 real images (one `ctr images import`
 * of test/agent/many-images.ts's layout). Whole processes, interleaved:
 * `imagedrift-agent inventory` against `ctr -n k8s.io images ls` on the same
 * node; the same inventory against one raw CRI ListImages call (warm client,
 * in-process); and the agent daemon's peak RSS, reporting to a collector and
 * rescanning, against a bare grpc-js process listing the same images.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CriClient } from "@imagedrift/cri";
import { startDaemon } from "../test/dist/lab/index.js";
import { fmtMs, MIB, median, memoryOf, timed, until } from "./lib/measure.mjs";
import { AGENT_BIN, cpuProfFlags, runOk, shippedNodeFlags, startAgent, startCollector } from "./lib/procs.mjs";
import { row } from "./lib/report.mjs";
import { manyImages } from "./lib/reuse.mjs";

const COUNT = 1_000;
/** The Node flags the agent ships with (its bin's shebang line; see shippedNodeFlags). */
const AGENT_NODE_FLAGS = shippedNodeFlags(AGENT_BIN);
/**
 * How many scans the daemon makes, after its first, before its peak is read. V8 lets the old generation grow well
 * past what is live before its first full collection: without the agent's Node flags the peak after 5
 * scans (98 MiB) was 110-136 MiB after 45, so the figure is taken after a minute of rescanning.
 */
const MORE_SCANS = 30;
const BARE_LISTER = fileURLToPath(new URL("./lib/bare-lister.mjs", import.meta.url));

function sample(metricsText, series) {
  const line = metricsText.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * Puts the 1,000 images on node "scan": builds the layout, `ctr images import`,
 * and waits until CRI lists them all. Slow (containerd works for tens of
 * seconds), so run.mjs may start it while another benchmark only waits.
 */
export async function importScanImages(ctx) {
  const { lab } = ctx;
  const node = lab.node("scan");
  const dir = join(ctx.dir, "scan");
  mkdirSync(dir, { recursive: true });
  const cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
  try {
    const { writeManyImages } = await manyImages();
    const t0 = performance.now();
    const images = await writeManyImages(join(dir, "many.tar"), COUNT, (i) => {
      const repo = `scale/app-${String(Math.floor(i / 10)).padStart(3, "0")}`;
      return `${lab.registry.host}/${repo}:v${i % 10}`;
    });
    await lab.ctr(node, "images", "import", images.file);
    await until(async () => (await cri.listImages()).length >= COUNT, {
      what: `CRI to list ${COUNT} images`,
      timeoutMs: 300_000,
      intervalMs: 500,
    });
    return { total: (await cri.listImages()).length, ms: performance.now() - t0 };
  } finally {
    cri.close();
  }
}

export async function scanBench(ctx) {
  const { lab, log } = ctx;
  const reps = ctx.quick ? 3 : 9;
  const dir = join(ctx.dir, "scan");
  const node = lab.node("scan");
  const { total, ms } = await (ctx.scanImport ?? importScanImages(ctx));
  log(`scan: ${total} images on node "scan", imported in ${fmtMs(ms)} (build + ctr import + CRI catching up)`);
  const cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
  try {
    const agentArgs = [
      ...AGENT_NODE_FLAGS,
      AGENT_BIN,
      "inventory",
      "--cri-endpoint",
      node.endpoint,
      "--node-name",
      "scan",
    ];
    const ctrArgs = ["-a", node.socket, "-n", "k8s.io", "images", "ls"];
    // Warm both (page cache, containerd's own caches), and check the agent lists everything.
    const first = await runOk(process.execPath, agentArgs);
    const listed = JSON.parse(first.stdout).images.length;
    if (listed < COUNT) throw new Error(`imagedrift-agent inventory listed ${listed} images, expected ≥ ${COUNT}`);
    await runOk("ctr", ctrArgs);
    const agentMs = [];
    const ctrMs = [];
    for (let i = 0; i < reps; i++) {
      agentMs.push((await runOk(process.execPath, agentArgs)).ms);
      ctrMs.push((await runOk("ctr", ctrArgs)).ms);
    }
    const startupMs = await timed(3, async () =>
      runOk(process.execPath, [...AGENT_NODE_FLAGS, AGENT_BIN, "--version"]),
    );
    const listMs = await timed(reps, () => cri.listImages());
    log(
      `  agent inventory ${fmtMs(median(agentMs))}, ctr images ls ${fmtMs(median(ctrMs))}, raw ListImages ${fmtMs(median(listMs))}, agent --version ${fmtMs(median(startupMs))}`,
    );
    let profileNote = "";
    if (ctx.profile) {
      await runOk(process.execPath, [...cpuProfFlags(ctx.profileDir, "agent-inventory"), ...agentArgs]);
      profileNote = " CPU profile: results/profiles/agent-inventory.txt.";
    }

    // The daemon: reporting to a collector, rescanning every 2 s (the default is 60 s) to reach its steady state sooner;
    // the bare lister lists the same node at the same pace meanwhile.
    const collector = await startCollector({ dir, name: "scan-collector" });
    const lister = await startDaemon({
      name: "bare lister",
      command: process.execPath,
      args: [BARE_LISTER, node.endpoint, "2000"],
      logFile: join(dir, "bare-lister.log"),
      ready: () => true,
    });
    let agentMem;
    let agentHeap;
    let listerMem;
    let scans;
    try {
      const agent = await startAgent({
        dir,
        node: "scan",
        endpoint: node.endpoint,
        collector: collector.grpcAddress,
        interval: "2s",
        nodeFlags: AGENT_NODE_FLAGS,
        // A rescan every 2 s is the load measured; on containerd's event stream the agent would
        // rescan only on events and every --events-interval, so it polls here.
        extraArgs: ["--events", "off"],
      });
      try {
        const metrics = async () => (await fetch(`${agent.url}/metrics`)).text();
        const firstScan = sample(await metrics(), "imagedrift_agent_last_scan_timestamp_seconds") ?? 0;
        await until(
          async () =>
            (sample(await metrics(), "imagedrift_agent_last_scan_timestamp_seconds") ?? 0) >=
            firstScan + 2 * MORE_SCANS,
          { what: `${MORE_SCANS} more scans`, timeoutMs: 4_000 * MORE_SCANS, intervalMs: 250 },
        );
        agentMem = memoryOf(agent.pid);
        listerMem = memoryOf(lister.pid);
        const text = await metrics();
        agentHeap = {
          used: sample(text, "nodejs_heap_size_used_bytes") / MIB,
          total: sample(text, "nodejs_heap_size_total_bytes") / MIB,
          external: sample(text, "nodejs_external_memory_bytes") / MIB,
        };
        scans = sample(await metrics(), 'imagedrift_agent_cri_request_duration_seconds_count{method="ListImages"}');
      } finally {
        await agent.stop();
      }
    } finally {
      await Promise.all([collector.stop(), lister.stop()]);
    }
    // What loading the agent's modules alone costs: `imagedrift-agent --version` under GNU time (max RSS, KiB).
    const versionRun = await runOk("/usr/bin/time", [
      "-f",
      "%M",
      process.execPath,
      ...AGENT_NODE_FLAGS,
      AGENT_BIN,
      "--version",
    ]);
    const versionPeak = Number(versionRun.stderr.trim().split("\n").pop()) / 1024;
    log(
      `  agent daemon peak RSS ${(agentMem.peak / MIB).toFixed(1)} MiB; bare lister ${(listerMem.peak / MIB).toFixed(1)} MiB`,
    );

    const runs = (ms) => ms.map((x) => x.toFixed(0)).join(", ");
    return [
      row({
        name: `scan: imagedrift-agent inventory, ${total} images (whole process)`,
        value: median(agentMs),
        unit: "ms",
        peer: "ctr -n k8s.io images ls on the same node (whole process)",
        peerValue: median(ctrMs),
        target: "ratio <= 3",
        notes:
          `medians of ${reps} interleaved runs (agent: ${runs(agentMs)}; ctr: ${runs(ctrMs)}). ` +
          `Node start + module loading alone (imagedrift-agent --version): ${median(startupMs).toFixed(0)} ms.${profileNote}`,
      }),
      row({
        name: `scan: imagedrift-agent inventory vs raw CRI ListImages, ${total} images`,
        value: median(agentMs),
        unit: "ms",
        peer: "one CRI ListImages call, warm grpc-js client, in-process",
        peerValue: median(listMs),
        notes: `ListImages runs: ${runs(listMs)} ms. The agent process also starts Node, loads its modules and makes 5 more CRI calls (version, containers, sandboxes, imagefs, status).`,
      }),
      row({
        name: `scan: agent daemon peak RSS, ${total} images`,
        value: agentMem.peak / MIB,
        unit: "MiB",
        peer: "bare grpc-js process listing the same images every 2 s",
        peerValue: listerMem.peak / MIB,
        target: "value <= 80",
        notes:
          `VmHWM after ${MORE_SCANS + 1} scans at --interval 2s (--events off) while reporting to a collector (${scans} ListImages calls); VmRSS ${(agentMem.rss / MIB).toFixed(1)} MiB; V8 heap ${agentHeap.used.toFixed(1)} MiB used of ${agentHeap.total.toFixed(1)} MiB, ${agentHeap.external.toFixed(1)} MiB external (its /metrics). ` +
          `Loading the agent's modules alone (imagedrift-agent --version) peaks at ${versionPeak.toFixed(1)} MiB. Bare lister, running meanwhile: VmRSS ${(listerMem.rss / MIB).toFixed(1)} MiB. ` +
          `The agent runs with its bin's Node flags (${AGENT_NODE_FLAGS.join(" ") || "none"}).`,
      }),
    ];
  } finally {
    cri.close();
  }
}
