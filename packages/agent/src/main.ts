import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { type ErrorCode, toImagedriftError } from "@imagedrift/core";
import { Command, Option } from "commander";
import { addPruneCommand } from "./cli/prune-command.js";
import { addPullCommand } from "./cli/pull-command.js";
import type { AgentOptions } from "./config.js";
import { DEFAULT_CRI_ENDPOINT } from "./cri-endpoint.js";

// Only what every run needs is imported above. The config schema (zod), the CRI client (grpc-js) and the
// daemon (prom-client, the collector protocol) are imported by the commands that use them: `--version` and
// `--help` load none of it, `inventory`, `pull` and `prune` no metrics and no reporter.

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
  .version;

const exitCodeByError: Partial<Record<ErrorCode, number>> = {
  "invalid-config": 2,
  "invalid-argument": 2,
  "invalid-reference": 2,
  unavailable: 3,
  "deadline-exceeded": 3,
};

const option = (flags: string, description: string, env: string) => new Option(flags, description).env(env);

const program = new Command("imagedrift-agent")
  .description(
    "The imagedrift node agent: reads the node's image cache over CRI, reports it, and serves /metrics, /healthz and /readyz.\nWithout a command it runs as a daemon.",
  )
  .version(version)
  .addOption(
    option(
      "--cri-endpoint <url>",
      `CRI socket of the container runtime (default ${DEFAULT_CRI_ENDPOINT})`,
      "IMAGEDRIFT_CRI_ENDPOINT",
    ),
  )
  .addOption(
    option(
      "--node-name <name>",
      "this node's name (default: env NODE_NAME, then the hostname)",
      "IMAGEDRIFT_NODE_NAME",
    ),
  )
  .addOption(
    option("--collector <host:port>", "the collector's gRPC address; absent = standalone", "IMAGEDRIFT_COLLECTOR"),
  )
  .addOption(
    option(
      "--listen <[host]:port>",
      "HTTP address for /metrics, /healthz, /readyz (default :9101)",
      "IMAGEDRIFT_LISTEN",
    ),
  )
  .addOption(
    option(
      "--interval <duration>",
      "full rescan period while polling, e.g. 30s or 5m (default 60s)",
      "IMAGEDRIFT_INTERVAL",
    ),
  )
  .addOption(
    option(
      "--events <mode>",
      "auto: rescan within a moment of each image, container or task event from containerd's event stream (on the same socket), and poll only every --events-interval while it is open; off: poll every --interval. Runtimes without the stream (CRI-O, cri-dockerd) are polled (default auto)",
      "IMAGEDRIFT_EVENTS",
    ),
  )
  .addOption(
    option(
      "--events-interval <duration>",
      "full rescan period while the event stream is open, a safety net (default 10m)",
      "IMAGEDRIFT_EVENTS_INTERVAL",
    ),
  )
  .addOption(option("--token-file <path>", "file holding the token shared with the collector", "IMAGEDRIFT_TOKEN_FILE"))
  .addOption(
    option(
      "--node-labels <k=v,...>",
      "labels of this node for job selectors (without the Kubernetes API)",
      "IMAGEDRIFT_NODE_LABELS",
    ),
  )
  .addOption(
    option(
      "--tls-ca <path>",
      "PEM CA that signed the collector's certificate: dial with TLS; read again at every connection attempt, and until it exists and holds a certificate the agent waits (never dialling in plaintext)",
      "IMAGEDRIFT_TLS_CA",
    ),
  )
  .addOption(
    option(
      "--tls-cert <path>",
      "PEM client certificate to present to a collector that requires one (mutual TLS; with --tls-key and --tls-ca)",
      "IMAGEDRIFT_TLS_CERT",
    ),
  )
  .addOption(option("--tls-key <path>", "PEM private key for --tls-cert", "IMAGEDRIFT_TLS_KEY"))
  .addOption(
    option(
      "--sandbox-image <ref>",
      "the runtime's pod sandbox (pause) image, for a runtime that names it nowhere (not in its status, its sandboxes nor a pinned image); prune refuses without one",
      "IMAGEDRIFT_SANDBOX_IMAGE",
    ),
  )
  .addOption(option("--log-level <level>", "debug, info, warn or error (default info)", "IMAGEDRIFT_LOG_LEVEL"))
  .showHelpAfterError()
  // commander exits 1 on a usage error (unknown option, missing value); usage errors exit 2, like bad values.
  .exitOverride((error) => process.exit(error.exitCode === 1 ? 2 : error.exitCode));

async function config(command: Command) {
  const { parseAgentConfig } = await import("./config.js");
  const options = command.optsWithGlobals<AgentOptions>();
  return parseAgentConfig({ ...options, nodeName: options.nodeName || process.env.NODE_NAME || hostname() });
}

program
  .command("inventory")
  .description("print this node's image inventory as JSON and exit")
  .action(async (_options: unknown, command: Command) => {
    const cfg = await config(command);
    const [{ CriClient }, { scanNode }] = await Promise.all([import("@imagedrift/cri"), import("./scanner.js")]);
    const cri = CriClient.connect({ endpoint: cfg.criEndpoint });
    try {
      const inventory = await scanNode(cri, cfg.nodeName, { sandboxImage: cfg.sandboxImage });
      process.stdout.write(`${JSON.stringify(inventory, null, 2)}\n`);
    } finally {
      cri.close();
    }
  });

/** The local node, for the one-shot commands that change it. */
async function localNode(command: Command) {
  const cfg = await config(command);
  const { CriClient } = await import("@imagedrift/cri");
  return {
    cri: CriClient.connect({ endpoint: cfg.criEndpoint }),
    node: cfg.nodeName,
    sandboxImage: cfg.sandboxImage,
  };
}
addPullCommand(program, localNode);
addPruneCommand(program, localNode);

program.action(async (_options: unknown, command: Command) => {
  const cfg = await config(command);
  const { runDaemon } = await import("./daemon.js");
  await runDaemon(cfg, version);
});

program.parseAsync(process.argv).catch((thrown: unknown) => {
  const error = toImagedriftError(thrown);
  process.stderr.write(`imagedrift-agent: ${error.message}\n`);
  process.exitCode = exitCodeByError[error.code] ?? 1;
});
