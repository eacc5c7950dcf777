/**
 * Many simulated agents spread over a few worker threads, each thread holding
 * many streams (simulated-agent.ts). Node 20 runs no TypeScript, so the
 * worker is simulated-agent.ts itself with its types stripped by the
 * TypeScript compiler (nothing else changes) and `runFleetWorker()` appended,
 * written under node_modules/.cache so that its package imports resolve to
 * the built packages. Workers start without the test runner's
 * `--conditions @imagedrift/source` (which points at TypeScript sources).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import ts from "typescript";
import type {
  FleetCommand,
  FleetReply,
  FleetRequest,
  FleetWorkerData,
  SimulatedAgentStatus,
} from "./simulated-agent.js";

const SOURCE = fileURLToPath(new URL("./simulated-agent.ts", import.meta.url));
const CACHE = fileURLToPath(new URL("../../node_modules/.cache/imagedrift-faults/", import.meta.url));

/** simulated-agent.ts as an ES module a worker can run; the caller removes the file. */
function writeWorker(): string {
  const { outputText } = ts.transpileModule(readFileSync(SOURCE, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    fileName: SOURCE,
  });
  if (/from "\./.test(outputText)) throw new Error("simulated-agent.ts must import packages only");
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, `fleet-worker-${process.pid}-${Date.now()}.mjs`);
  writeFileSync(file, `${outputText}\nrunFleetWorker();\n`);
  return file;
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
  const file = writeWorker();
  const workers = Array.from({ length: options.threads }, (_, w) => {
    const data: FleetWorkerData = {
      nodes: options.nodes.filter((_, i) => i % options.threads === w),
      address: options.address,
      host: options.host,
      images: options.images,
      intervalMs: options.intervalMs,
      token: options.token ?? null,
    };
    return new Worker(pathToFileURL(file), { workerData: data, execArgv: [] });
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
      rmSync(file, { force: true });
    },
  };
}
