/**
 * A fleet of simulated agents spread over worker threads (see
 * agent-sim-worker.mjs): `connect(address, { ca })` opens every agent's stream
 * to a gRPC listener (over TLS trusting `ca`, a PEM CA, when given), `close()` drops them all, `stats()` sums the workers' counts.
 */
import { Worker } from "node:worker_threads";

const WORKER = new URL("./agent-sim-worker.mjs", import.meta.url);

export async function startFleet({ count, threads, host, tagCount, digests, intervalMs }) {
  const workers = [];
  const ready = [];
  for (let w = 0; w < threads; w++) {
    const ids = [];
    for (let i = w; i < count; i += threads) ids.push(i);
    const worker = new Worker(WORKER, {
      workerData: { ids, host, tagCount, digests: [...digests], intervalMs, agentVersion: "0.1.0-bench" },
    });
    workers.push(worker);
    ready.push(
      new Promise((resolve, reject) => {
        worker.once("error", reject);
        worker.once("message", resolve);
      }),
    );
  }
  const started = await Promise.all(ready);

  const ask = (worker, cmd, reply, extra = {}) =>
    new Promise((resolve, reject) => {
      const onMessage = (message) => {
        if (message.type !== reply) return;
        worker.off("message", onMessage);
        worker.off("error", reject);
        resolve(message);
      };
      worker.on("message", onMessage);
      worker.on("error", reject);
      worker.postMessage({ cmd, ...extra });
    });

  return {
    /** Longest time a worker took to make and serialise its inventories. */
    prepareMs: Math.max(...started.map((s) => s.prepareMs)),
    /** Serialised inventory messages, all agents. */
    wireBytes: started.reduce((sum, s) => sum + s.wireBytes, 0),
    connect: (address, { ca } = {}) =>
      Promise.all(workers.map((w) => ask(w, "connect", "connecting", { address, ca }))),
    close: () => Promise.all(workers.map((w) => ask(w, "close", "closed"))),
    async stats() {
      const all = await Promise.all(workers.map((w) => ask(w, "stats", "stats")));
      const sum = {};
      for (const { stats } of all) {
        for (const [key, value] of Object.entries(stats)) {
          sum[key] = typeof value === "number" ? (sum[key] ?? 0) + value : value || sum[key] || "";
        }
      }
      return sum;
    },
    terminate: () => Promise.all(workers.map((w) => w.terminate())),
  };
}
