/**
 * imagedrift benchmarks: `npm run bench` (full scale) or `npm run bench -- --quick`.
 *
 * Every figure is printed next to a peer measured in the same run on the same
 * machine, and the ratio between them; results go to bench/results/latest.json.
 * Needs the built packages and test lab (`npm ci` builds them) and the lab's
 * Debian packages (`npm run lab:setup`); runs as root, like the lab.
 *
 * Flags:
 *   --quick          smaller scale, about 6 minutes on 2 cores
 *   --only=a,b       run only these benchmarks (ingest, findings, scan, prepull, resolve, detect)
 *   --profile        write CPU profiles of the collector, the agent and computeFindings
 *                    to bench/results/profiles/ (and a summary of each)
 *   --agents=N       simulated agents (and nodes) for ingest, findings and resolve
 *                    (default 5000; 200 with --quick)
 *   --collector-args="--flag value ..."
 *                    extra flags for the collector process of the ingest benchmark
 *                    (e.g. --inventory-concurrency 5000), named in its rows' notes
 *   --collector-node-flags="--flag ..."
 *                    Node flags for that collector process (e.g. --max-semi-space-size=64)
 *   --out=FILE       results file (default bench/results/latest.json; a run of every
 *                    benchmark also writes bench/results/quick.json or full.json)
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { availableParallelism, freemem, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { detectBench } from "./detect.mjs";
import { findingsBench } from "./findings.mjs";
import { ingestBench } from "./ingest.mjs";
import { describeProfile } from "./lib/cpuprofile.mjs";
import { formatHeap, summarizeHeap } from "./lib/heapsnapshot.mjs";
import { pushTags } from "./lib/registry-fixture.mjs";
import { row, table, writeResults } from "./lib/report.mjs";
import { tagNames } from "./lib/synthetic.mjs";
import { prepullBench } from "./prepull.mjs";
import { resolveBench } from "./resolve.mjs";
import { importScanImages, scanBench } from "./scan.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
// resolve first: its rate-limited cycle leaves the CPU idle for the scan node's slow image import.
const BENCHES = ["resolve", "ingest", "findings", "scan", "prepull", "detect"];
/** Benchmarks that need no shared lab: findings none, detect its own (its registry posts to its collector). */
const WITHOUT_SHARED_LAB = ["findings", "detect"];
const TAG_COUNT = 300;
const PREPULL_NODES = ["p1", "p2", "p3", "p4", "p5", "p6"];

function parseArgs(argv) {
  const options = { quick: false, only: BENCHES, profile: false, out: join(root, "bench/results/latest.json") };
  for (const arg of argv) {
    if (arg === "--quick") options.quick = true;
    else if (arg === "--profile") options.profile = true;
    else if (arg.startsWith("--only=")) options.only = arg.slice(7).split(",");
    else if (arg.startsWith("--out=")) options.out = arg.slice(6);
    else if (arg.startsWith("--agents=")) options.agents = Number(arg.slice(9));
    else if (arg.startsWith("--collector-args=")) options.collectorArgs = arg.slice(17).split(" ").filter(Boolean);
    else if (arg.startsWith("--collector-node-flags=")) {
      options.collectorNodeFlags = arg.slice(23).split(" ").filter(Boolean);
    } else {
      console.error(
        `unknown argument ${arg}\nusage: node bench/run.mjs [--quick] [--only=${BENCHES.join(",")}] [--profile] [--agents=N] [--collector-args="..."] [--collector-node-flags="..."] [--out=FILE]`,
      );
      process.exit(2);
    }
  }
  const unknown = options.only.filter((b) => !BENCHES.includes(b));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(", ")}; known: ${BENCHES.join(", ")}`);
    process.exit(2);
  }
  return options;
}

function checkBuilt() {
  const missing = [
    "packages/core/dist/index.js",
    "packages/protocol/dist/index.js",
    "packages/collector/dist/index.js",
    "packages/agent/dist/index.js",
    "packages/cri/dist/index.js",
    "test/dist/lab/index.js",
  ].filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    console.error(`bench: not built (${missing.join(", ")}): run npm ci (or npm run build) first`);
    process.exit(2);
  }
}

/** Which code was measured: the commit, whether the tree had changes, and when the measured dists were built. */
function codeVersion() {
  const git = (...args) => {
    try {
      return execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
    } catch {
      return null;
    }
  };
  const built = (pkg) => {
    const dist = join(root, "packages", pkg, "dist");
    const newest = Math.max(
      ...readdirSync(dist, { recursive: true }).map((f) => statSync(join(dist, String(f))).mtimeMs),
    );
    return new Date(newest).toISOString();
  };
  return {
    commit: git("rev-parse", "--short", "HEAD"),
    changedFiles: git("status", "--porcelain", "--", "packages", "proto")?.split("\n").filter(Boolean).length ?? null,
    distBuilt: Object.fromEntries(["core", "protocol", "collector", "agent", "cri"].map((p) => [p, built(p)])),
  };
}

/** Copies the logs of the bench's processes out of the lab dir before it is deleted. */
function keepLogs(from, to) {
  rmSync(to, { recursive: true, force: true });
  for (const entry of readdirSync(from, { recursive: true })) {
    if (!String(entry).endsWith(".log")) continue;
    const target = join(to, String(entry));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(from, String(entry)), target);
  }
}

const started = performance.now();
const log = (message) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  checkBuilt();
  const { startLab } = await import("../test/dist/lab/index.js");
  const machine = {
    code: codeVersion(),
    nproc: availableParallelism(),
    memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    loadavgAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
  log(
    `imagedrift bench (${options.quick ? "quick" : "full"}): ${options.only.join(", ")}; ` +
      `${machine.nproc} cpus, ${machine.memoryGiB} GiB (${(freemem() / 1024 ** 3).toFixed(1)} free), node ${machine.node}, load ${machine.loadavgAtStart.join(" ")}`,
  );
  const profileDir = join(root, "bench/results/profiles");
  if (options.profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }

  const needsLab = options.only.some((b) => !WITHOUT_SHARED_LAB.includes(b));
  const labNodes = [
    ...(options.only.includes("scan") ? ["scan"] : []),
    ...(options.only.includes("prepull") ? PREPULL_NODES : []),
  ];
  let lab;
  const rows = [];
  const ctx = {
    quick: options.quick,
    /** Simulated agents (ingest), snapshot nodes (findings) and nodes sharing the tags (resolve). */
    nodes: options.agents ?? (options.quick ? 200 : 5_000),
    log,
    emit: (...r) => rows.push(...r),
    profile: options.profile,
    profileDir,
    collectorArgs: options.collectorArgs ?? [],
    collectorNodeFlags: options.collectorNodeFlags ?? [],
    prepullNodes: PREPULL_NODES,
  };
  try {
    if (needsLab) {
      lab = await startLab({ nodes: labNodes });
      ctx.lab = lab;
      ctx.registryHost = lab.registry.host;
      ctx.dir = await mkdtemp(join(lab.dir, "bench-"));
      log(`lab at ${lab.dir}: registry ${lab.registry.host}, nodes ${labNodes.join(" ") || "(none)"}`);
      if (options.only.includes("ingest") || options.only.includes("resolve")) {
        const names = tagNames(lab.registry.host, TAG_COUNT);
        const pause = new Map([[names[0].ref, await lab.digestOf("pause:3.9")]]);
        ctx.digests = await pushTags(lab.registry.url, names, { keep: pause });
        ctx.tags = names;
        log(`${ctx.digests.size} tags on the registry`);
      }
    } else {
      ctx.dir = await mkdtemp("/tmp/idb-");
    }
    if (options.only.includes("scan") && options.only.includes("resolve")) {
      ctx.whileRateLimited = () => {
        ctx.scanImport = importScanImages(ctx);
        ctx.scanImport.catch(() => undefined); // scan reports the failure
        return { what: "the scan node imported its 1,000 images", note: ctx.scanImport };
      };
    }
    const benches = {
      ingest: ingestBench,
      findings: findingsBench,
      scan: scanBench,
      prepull: prepullBench,
      resolve: resolveBench,
      detect: detectBench,
    };
    for (const name of BENCHES.filter((b) => options.only.includes(b))) {
      const t0 = performance.now();
      try {
        rows.push(...(await benches[name](ctx)));
      } catch (error) {
        log(`${name} FAILED: ${error.stack ?? error}`);
        rows.push(
          row({ name: `${name}: FAILED`, value: null, unit: "", notes: String(error.message ?? error).slice(0, 2000) }),
        );
      }
      log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    if (ctx.dir) keepLogs(ctx.dir, join(root, "bench/results/logs"));
    if (lab) {
      log("stopping the lab");
      await lab.stop();
    } else if (ctx.dir) {
      rmSync(ctx.dir, { recursive: true, force: true });
    }
  }

  machine.loadavgAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  machine.totalSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
  const save = (file) => {
    writeResults(file, rows);
    writeFileSync(
      file.replace(/\.json$/, ".machine.json"),
      `${JSON.stringify({ ...machine, mode: options.quick ? "quick" : "full", at: new Date().toISOString() }, null, 2)}\n`,
    );
  };
  save(options.out);
  // The last complete run of each mode is kept too, so that a quick run does not hide the figures of a full one.
  const modeFile = join(root, `bench/results/${options.quick ? "quick" : "full"}.json`);
  if (options.out !== modeFile && options.only.length === BENCHES.length && !options.profile) save(modeFile);
  if (options.profile) {
    for (const file of readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"))) {
      const text = describeProfile(join(profileDir, file), 25);
      writeFileSync(join(profileDir, file.replace(/\.cpuprofile$/, ".txt")), `${text}\n`);
      log(`profile ${file}: summary in ${file.replace(/\.cpuprofile$/, ".txt")}`);
    }
    for (const file of readdirSync(profileDir).filter((f) => f.endsWith(".heapsnapshot"))) {
      const summary = join(profileDir, file.replace(/\.heapsnapshot$/, ".txt"));
      try {
        writeFileSync(summary, `${formatHeap(summarizeHeap(join(profileDir, file), 30))}\n`);
        log(`heap snapshot ${file}: summary in ${summary}`);
      } catch (error) {
        log(`heap snapshot ${file}: cannot summarise (${error.message}); open it in Chrome DevTools`);
      }
    }
  }
  console.log(`\n${table(rows)}\n`);
  console.log(
    `machine: ${machine.nproc} cpus, ${machine.memoryGiB} GiB, node ${machine.node}; load average ${machine.loadavgAtStart.join(" ")} at start, ${machine.loadavgAtEnd.join(" ")} at end; ${machine.totalSeconds} s`,
  );
  console.log(`results: ${options.out}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
