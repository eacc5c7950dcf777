import { Command, Option } from "commander";
import { COLLECTOR_DEFAULTS } from "./config.js";

/** The collector's command line: every flag, its environment variable and its default as --help shows it. */

const option = (flags: string, description: string, env: string) => new Option(flags, description).env(env);

export function collectorProgram(version: string): Command {
  return new Command("imagedrift-collector")
    .description(
      "The imagedrift collector: receives every agent's inventory, stores it in SQLite, resolves tags against registries,\ncomputes drift findings, and serves the REST API, the web page and /metrics.",
    )
    .version(version)
    .addOption(option("--db <path>", `SQLite database file (default ${COLLECTOR_DEFAULTS.db})`, "IMAGEDRIFT_DB"))
    .addOption(
      option(
        "--listen <[host]:port>",
        `HTTP address: REST, web page, /metrics, /healthz, /readyz (default ${COLLECTOR_DEFAULTS.listen})`,
        "IMAGEDRIFT_LISTEN",
      ),
    )
    .addOption(
      option(
        "--grpc-listen <[host]:port>",
        `gRPC address agents connect to (default ${COLLECTOR_DEFAULTS.grpcListen})`,
        "IMAGEDRIFT_GRPC_LISTEN",
      ),
    )
    .addOption(
      option(
        "--token-file <path>",
        "shared token: agents and mutating REST calls must present it",
        "IMAGEDRIFT_TOKEN_FILE",
      ),
    )
    .addOption(option("--protect-reads", "require the token for REST reads too", "IMAGEDRIFT_PROTECT_READS"))
    .addOption(
      option(
        "--read-token-file <path>",
        "a second token that can only read: REST reads under /api/ then need it or the --token-file token (which can read too); needs --token-file",
        "IMAGEDRIFT_READ_TOKEN_FILE",
      ),
    )
    .addOption(
      option(
        "--registry-events-token-file <path>",
        "a token registries send their push notifications with (POST /api/v1/registry-events, as Authorization: Bearer <token>); that endpoint takes the --token-file token too",
        "IMAGEDRIFT_REGISTRY_EVENTS_TOKEN_FILE",
      ),
    )
    .addOption(
      option(
        "--rate-limit <rate>",
        `REST requests per second per client IP: N (burst 2N), N:BURST, or off; over it: 429 with Retry-After (default ${COLLECTOR_DEFAULTS.rateLimit})`,
        "IMAGEDRIFT_RATE_LIMIT",
      ),
    )
    .addOption(
      option(
        "--inventory-concurrency <n>",
        `inventories asked of agents at once; after a restart the other agents wait their turn, which bounds memory (default ${COLLECTOR_DEFAULTS.inventoryConcurrency})`,
        "IMAGEDRIFT_INVENTORY_CONCURRENCY",
      ),
    )
    .addOption(
      option(
        "--kubernetes <mode>",
        `auto|on|off: use the Kubernetes API (auto: in a cluster or with KUBECONFIG; default ${COLLECTOR_DEFAULTS.kubernetes})`,
        "IMAGEDRIFT_KUBERNETES",
      ),
    )
    .addOption(
      option(
        "--kubernetes-pull-secrets",
        "resolve and prepull private tags with the cluster's pull secrets: a pod's imagePullSecrets and its service account's, read with get by name (needs the Kubernetes API and deploy/components/pull-secrets; off by default)",
        "IMAGEDRIFT_KUBERNETES_PULL_SECRETS",
      ),
    )
    .addOption(
      option(
        "--registries-config <path>",
        "YAML with per-registry insecure, mirror, auth, ca, requestsPerSecond",
        "IMAGEDRIFT_REGISTRIES_CONFIG",
      ),
    )
    .addOption(
      option(
        "--resolve-interval <duration>",
        `how often each tag is resolved against its registry (default ${COLLECTOR_DEFAULTS.resolveInterval})`,
        "IMAGEDRIFT_RESOLVE_INTERVAL",
      ),
    )
    .addOption(
      option(
        "--tls-cert <path>",
        "PEM certificate for the agents' gRPC listener (with --tls-key)",
        "IMAGEDRIFT_TLS_CERT",
      ),
    )
    .addOption(option("--tls-key <path>", "PEM private key for --tls-cert", "IMAGEDRIFT_TLS_KEY"))
    .addOption(
      option(
        "--tls-client-ca <path>",
        "PEM CA: agents must present a client certificate it signed (mutual TLS; needs --tls-cert or --tls-self-signed)",
        "IMAGEDRIFT_TLS_CLIENT_CA",
      ),
    )
    .addOption(
      option(
        "--tls-self-signed",
        "TLS for the agents' gRPC listener with certificates the collector makes: a CA kept in --tls-dir and a server certificate it signs for the Service's names (renewed before expiry); the CA certificate goes to Secret imagedrift-collector-ca (key ca.crt) in the collector's namespace when the Kubernetes API is on",
        "IMAGEDRIFT_TLS_SELF_SIGNED",
      ),
    )
    .addOption(
      option(
        "--tls-dir <path>",
        "where --tls-self-signed keeps ca.crt, ca.key, tls.crt and tls.key (default: tls/ beside --db)",
        "IMAGEDRIFT_TLS_DIR",
      ),
    )
    .addOption(
      option(
        "--tls-service <name>",
        `the collector's Service: --tls-self-signed's certificate names <name>, and with the pod's namespace <name>.<ns>, <name>.<ns>.svc and <name>.<ns>.svc.cluster.local (default ${COLLECTOR_DEFAULTS.tlsService})`,
        "IMAGEDRIFT_TLS_SERVICE",
      ),
    )
    .addOption(
      option(
        "--tls-names <names>",
        "more DNS names and IP addresses, comma-separated, for --tls-self-signed's certificate (another cluster domain, a node port's address)",
        "IMAGEDRIFT_TLS_NAMES",
      ),
    )
    .addOption(
      option(
        "--log-level <level>",
        `debug, info, warn or error (default ${COLLECTOR_DEFAULTS.logLevel})`,
        "IMAGEDRIFT_LOG_LEVEL",
      ),
    )
    .showHelpAfterError();
}
