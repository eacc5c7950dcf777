/**
 * `npm run demo`: a local lab of 3 simulated nodes (real containerd + runc),
 * a real registry with drift in it, the collector and one agent per node.
 * Prints what imagedrift finds and where to look, then stays up until Ctrl-C
 * when someone is at a terminal to press it (or with --keep).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { startLab } from "./lab/index.js";
import { waitFor } from "./lab/wait.js";
import { seedIncidents } from "./scenario/incidents.js";
import { type Agent, CLI_BIN, startAgent, startCollector } from "./scenario/processes.js";

const USAGE = `usage: npm run demo [-- --keep | --no-keep]

Starts 3 containerd nodes and a registry on 127.0.0.1, pushes and pulls images
so that the nodes drift, then runs the collector and an agent per node and
prints what imagedrift finds.

  --keep      stay up until Ctrl-C, even when stdin is not a terminal
  --no-keep   stop everything and exit once the findings are printed
              (default: stay up when stdin is a terminal, as when run by hand,
              also with its output piped: npm run demo | tee demo.log)
`;

const PREFERRED_PORT = 8080;

const say = (line = "") => process.stdout.write(`${line}\n`);

/** The preferred port when free, so the printed URL is the usual one; else 0 (any free port). */
async function portIfFree(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(0));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(port)));
  });
}

function keepUp(argv: readonly string[]): boolean {
  const { values } = parseArgs({
    args: [...argv],
    options: { keep: { type: "boolean" }, "no-keep": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.keep && values["no-keep"]) throw new Error("--keep and --no-keep contradict each other");
  return values.keep ?? (values["no-keep"] ? false : process.stdin.isTTY === true);
}

async function main(): Promise<void> {
  const keep = keepUp(process.argv.slice(2));
  say("imagedrift demo: starting 3 containerd nodes and a registry on 127.0.0.1 …");
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
    say(`registry ${lab.registry.url}: pushing images, pulling them onto the nodes, then pushing some again …`);
    const incidents = await seedIncidents(lab);
    const port = await portIfFree(PREFERRED_PORT);
    // A token as a real install has one: mutating calls (jobs) need it, and the agents present it.
    collector = await startCollector({
      dir,
      httpPort: port,
      resolveInterval: "10s",
      token: randomBytes(24).toString("base64url"),
    });
    for (const node of lab.nodes) {
      agents.push(
        await startAgent({
          dir,
          node: node.name,
          endpoint: node.endpoint,
          collector: collector.grpcAddress,
          tokenFile: collector.tokenFile,
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
    if (port === 0) say(`port ${PREFERRED_PORT} is taken, so the collector listens on ${url} instead`);
    say(`web page      ${url}/`);
    say(`REST API      ${url}/api/v1/findings   (${url}/openapi.json)`);
    say(`metrics       ${url}/metrics`);
    say(`agents        ${agents.map((a) => `${a.url}/metrics`).join("  ")}`);
    say(`\nthe collector runs with --token-file ${collector.tokenFile}: reads are open, jobs need the token.`);
    say("try the CLI (it reads the token from --token or IMAGEDRIFT_TOKEN):");
    say(`  export IMAGEDRIFT_SERVER=${url} IMAGEDRIFT_TOKEN=$(cat ${collector.tokenFile})`);
    say(`  node ${CLI_BIN} tags`);
    say(`  node ${CLI_BIN} verify ${incidents.web.ref}     # exits 1: nodes disagree with the registry`);
    say(`  node ${CLI_BIN} verify ${incidents.runtime.ref}  # exits 0: multi-arch, current everywhere`);
    say(`  node ${CLI_BIN} refresh ${incidents.web.ref}    # pulls it again where the digest differs`);
    if (keep) {
      say(`\nlogs in ${dir}; Ctrl-C stops everything.`);
      // The lab's processes do not hold the event loop (see test/lab/process.ts): this does, until a signal.
      setInterval(() => {}, 1 << 30);
    } else {
      // Nobody at a terminal (a script, CI): nobody is there to browse or press Ctrl-C.
      say(`\nlogs in ${dir}; stdin is not a terminal, so the demo stops here (--keep keeps it up).`);
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
