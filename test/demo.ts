/**
 * `npm run demo`: a local lab of 3 simulated nodes (real containerd + runc),
 * a real registry, the seeds' drift, the collector and one agent per node.
 * Prints what imagedrift finds and where to look, then stays up until Ctrl-C.
 */
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { startLab } from "./lab/index.js";
import { waitFor } from "./lab/wait.js";
import { seedIncidents } from "./scenario/incidents.js";
import { type Agent, CLI_BIN, startAgent, startCollector } from "./scenario/processes.js";

const say = (line = "") => process.stdout.write(`${line}\n`);

/** 8080 when free, so the printed URL is the usual one; else any free port. */
async function preferredPort(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(0));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(port)));
  });
}

async function main(): Promise<void> {
  say("imagedrift demo: starting a lab of 3 containerd nodes and a registry on 127.0.0.1 …");
  const started = performance.now();
  const lab = await startLab({ nodes: ["n1", "n2", "n3"] });
  const dir = await mkdtemp("/tmp/imagedrift-demo-");
  const agents: Agent[] = [];
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
  const stop = async () => {
    await Promise.allSettled(agents.map((a) => a.stop()));
    await collector?.stop();
    await lab.stop();
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      say("\nstopping the demo …");
      void stop().then(() => process.exit(0));
    });
  }
  try {
    say(
      `registry ${lab.registry.url}; seeding the seeds' incidents (re-pushed tag, stale pods, deleted and never-pushed images) …`,
    );
    const incidents = await seedIncidents(lab);
    collector = await startCollector({ dir, httpPort: await preferredPort(8080), resolveInterval: "10s" });
    for (const node of lab.nodes) {
      agents.push(
        await startAgent({
          dir,
          node: node.name,
          endpoint: node.endpoint,
          collector: collector.grpcAddress,
          interval: "5s",
        }),
      );
    }
    const url = collector.url;
    type Item = {
      status?: string;
      imageCount?: number;
      kind: string;
      severity: string;
      message: string;
      remedy: string;
    };
    const items = async (path: string) => ((await (await fetch(`${url}${path}`)).json()) as { items: Item[] }).items;
    await waitFor(
      async () => {
        const nodes = await items("/api/v1/nodes");
        const tags = await items("/api/v1/tags");
        // Every node's inventory is in, and every tag has had its registry's answer.
        return (
          nodes.length === lab.nodes.length &&
          nodes.every((n) => (n.imageCount ?? 0) > 0) &&
          tags.every((t) => t.status !== "unresolved")
        );
      },
      { what: "every node's inventory and every tag resolved", timeoutMs: 60_000, intervalMs: 250 },
    );
    const findings = await items("/api/v1/findings");
    say(
      `\nready in ${((performance.now() - started) / 1000).toFixed(1)} s. imagedrift finds ${findings.length} problems:\n`,
    );
    for (const f of findings) {
      say(`  [${f.severity}] ${f.kind}\n    ${f.message}\n    fix: ${f.remedy}\n`);
    }
    say(`web page      ${url}/`);
    say(`REST API      ${url}/api/v1/findings   (${url}/openapi.json)`);
    say(`metrics       ${url}/metrics`);
    say(`agents        ${agents.map((a) => `${a.url}/metrics`).join("  ")}`);
    say("\ntry the CLI:");
    say(`  node ${CLI_BIN} --server ${url} tags`);
    say(
      `  node ${CLI_BIN} --server ${url} verify ${incidents.web.ref}     # exits 1: nodes disagree with the registry`,
    );
    say(`  node ${CLI_BIN} --server ${url} verify ${incidents.runtime.ref}  # exits 0: multi-arch, current everywhere`);
    if (process.stdout.isTTY) {
      say(`\nlogs in ${dir}; Ctrl-C stops everything.`);
      // The lab's processes do not hold the event loop (see test/lab/process.ts): this does, until a signal.
      setInterval(() => {}, 1 << 30);
    } else {
      // Not on a terminal (a script, CI): nobody is there to browse or press Ctrl-C; stop everything and exit.
      say(`\nlogs in ${dir}; not on a terminal, so the demo stops here (run it in a terminal to keep it up).`);
      await stop();
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
