/**
 * Many simulated agents spread over a few worker threads, each thread holding
 * many streams (simulated-agent.ts). Node 20 runs no TypeScript, so the
 * worker is fleet-worker.ts and the files it imports (WORKER_FILES) with their
 * types stripped by the TypeScript compiler (nothing else changes) and
 * `runFleetWorker()` appended, written to a folder of their own under
 * node_modules/.cache so that their package imports resolve to the built
 * packages. Workers start without the test runner's
 * `--conditions @imagedrift/source` (which points at TypeScript sources).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import ts from "typescript";
import type { FleetCommand, FleetReply, FleetRequest, FleetWorkerData } from "./fleet-worker.js";
import type { SimulatedAgentStatus } from "./simulated-agent.js";

/** The worker's files, by name without extension; fleet-worker is its entry. */
const WORKER_FILES = ["synthetic-inventory", "simulated-agent", "fleet-worker"] as const;
const CACHE = fileURLToPath(new URL("../../node_modules/.cache/imagedrift-faults/", import.meta.url));

/** The worker's files as ES modules in a folder of their own; returns its entry. The caller removes the folder. */
function writeWorker(): { dir: string; entry: string } {
  const dir = join(CACHE, `fleet-worker-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  // Below node_modules no package.json of ours says "module": this one does, for the .js files beside it.
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  for (const name of WORKER_FILES) {
    const source = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
    const { outputText } = ts.transpileModule(readFileSync(source, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: source,
    });
    const relative = [...outputText.matchAll(/from "(\.[^"]*)"/g)].map((m) => m[1]);
    const foreign = relative.filter((r) => !WORKER_FILES.some((f) => r === `./${f}.js`));
    if (foreign.length > 0) throw new Error(`${name}.ts must import packages and worker files only: ${foreign}`);
    const entry = name === "fleet-worker" ? "\nrunFleetWorker();\n" : "";
    writeFileSync(join(dir, `${name}.js`), `${outputText}${entry}`);
  }
  return { dir, entry: join(dir, "fleet-worker.js") };
}

export interface FleetOptions extends Omit<FleetWorkerData, "nodes" | "token"> {
  nodes: readonly string[];
  threads: number;
  token?: string | null;
}

export interface Fleet {
  readonly size: number;
  start(): Promise<SimulatedAgentStatus[]>;
  /** Moves every agent's inventory to `revision` (sent at once by connected agents). */
  revise(revision: number): Promise<SimulatedAgentStatus[]>;
  status(): Promise<SimulatedAgentStatus[]>;
  /** Closes every stream and ends the threads. */
  stop(): Promise<void>;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const files = writeWorker();
  const workers = Array.from({ length: options.threads }, (_, w) => {
    const data: FleetWorkerData = {
      nodes: options.nodes.filter((_, i) => i % options.threads === w),
      address: options.address,
      host: options.host,
      images: options.images,
      intervalMs: options.intervalMs,
      token: options.token ?? null,
    };
    return new Worker(pathToFileURL(files.entry), { workerData: data, execArgv: [] });
  });
  let next = 0;
  const ask = (worker: Worker, request: FleetCommand) =>
    new Promise<SimulatedAgentStatus[]>((resolve, reject) => {
      const id = next++;
      const onMessage = (reply: FleetReply) => {
        if (reply.id !== id) return;
        worker.off("message", onMessage);
        worker.off("error", reject);
        resolve(reply.statuses);
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
      worker.postMessage({ ...request, id } satisfies FleetRequest);
    });
  const all = async (request: FleetCommand) => (await Promise.all(workers.map((w) => ask(w, request)))).flat();
  return {
    size: options.nodes.length,
    start: () => all({ cmd: "start" }),
    revise: (revision) => all({ cmd: "revise", revision }),
    status: () => all({ cmd: "status" }),
    async stop() {
      await all({ cmd: "stop" }).catch(() => []);
      await Promise.all(workers.map((w) => w.terminate()));
      rmSync(files.dir, { recursive: true, force: true });
    },
  };
}
