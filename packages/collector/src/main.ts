import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createLogger, type ErrorCode, ImagedriftError, type LogLevel, toImagedriftError } from "@imagedrift/core";
import { readTokenFile } from "@imagedrift/protocol";
import type { KubeConfig } from "@kubernetes/client-node";
import { collectorProgram } from "./collector-program.js";
import { type CollectorOptions, parseCollectorConfig } from "./config.js";
import { DriftService } from "./drift/index.js";
import { AgentGateway } from "./gateway/agent-gateway.js";
import { createHttpServer } from "./http/server.js";
import { clusterFacts, commandPreparer, JobRunner, JobStore } from "./jobs/index.js";
import type { KubernetesWatcher } from "./kubernetes/index.js";
import { type KubernetesMode, kubeConfigProblem, kubernetesEnabled } from "./kubernetes/kube-config.js";
import { CollectorMetrics } from "./metrics.js";
import { RegistryAuthHealth } from "./registry/auth-health.js";
import { systemClock } from "./registry/clock.js";
import { cloudIdentity } from "./registry/cloud-identity.js";
import { LiveRegistries } from "./registry/live-registries.js";
import { ManifestPresence } from "./registry/manifest-presence.js";
import type { RegistriesConfig } from "./registry/registry-host.js";
import { resolutionOf, TagResolver } from "./registry/resolver.js";
import type { TagCredentialSource } from "./registry/tag-credentials.js";
import { FindingStore, NodeStore, openDatabase, TagStore } from "./store/index.js";
import { listenerCredentials } from "./tls/listener-credentials.js";

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
  .version;

const exitCodeByError: Partial<Record<ErrorCode, number>> = { "invalid-config": 2, "invalid-argument": 2 };

const program = collectorProgram(version).action(async (options: CollectorOptions) => {
  const cfg = parseCollectorConfig(options);
  const log = createLogger({
    write: (line) => process.stderr.write(line),
    level: cfg.logLevel as LogLevel,
    fields: { component: "collector" },
  });
  // The Kubernetes API: pods and nodes for pull-policy-risk, mixed-replicas, node labels and deleted nodes.
  const useKubernetes = kubernetesEnabled(cfg.kubernetes as KubernetesMode, {
    serviceHost: process.env.KUBERNETES_SERVICE_HOST,
    kubeconfig: process.env.KUBECONFIG,
  });
  let kubernetes: KubernetesWatcher | undefined;
  // --kubernetes-pull-secrets: the pods' pull secrets as credentials (docs/registries.md#pull-secrets).
  let tagCredentials: TagCredentialSource | undefined;
  let kubeConfig: KubeConfig | undefined;
  if (useKubernetes) {
    // Loaded only when used: the client library takes over a second to import.
    const { KubeConfig } = await import("@kubernetes/client-node");
    const { apiOwnerReader, apiPullSecretReader, KubernetesWatcher, PullSecretCredentials } = await import(
      "./kubernetes/index.js"
    );
    kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromDefault(); // KUBECONFIG, ~/.kube/config, else the pod's service account
    } catch (thrown) {
      const reason = toImagedriftError(thrown).message;
      throw new ImagedriftError("invalid-config", `--kubernetes: cannot load the kubeconfig: ${reason}`, {
        cause: thrown,
      });
    }
    const problem = kubeConfigProblem(kubeConfig);
    if (problem !== null) throw new ImagedriftError("invalid-config", `--kubernetes ${cfg.kubernetes}: ${problem}`);
    const pullSecrets = cfg.kubernetesPullSecrets;
    const watcher = new KubernetesWatcher({ kubeConfig, owners: apiOwnerReader(kubeConfig), log, pullSecrets });
    kubernetes = watcher;
    if (pullSecrets) {
      const reader = apiPullSecretReader(kubeConfig);
      const source = new PullSecretCredentials({
        reader,
        podsUsing: (repo) => watcher.podsUsing(repo),
        ready: () => watcher.whenSynced(),
        log,
      });
      tagCredentials = (ref) => source.credentialsFor(ref);
    }
  } else if (cfg.kubernetesPullSecrets) {
    throw new ImagedriftError(
      "invalid-config",
      "--kubernetes-pull-secrets needs the Kubernetes API: --kubernetes auto found neither KUBERNETES_SERVICE_HOST nor KUBECONFIG (set --kubernetes on)",
    );
  }
  const token = cfg.tokenFile ? readTokenFile(cfg.tokenFile) : null;
  const readToken = cfg.readTokenFile ? readTokenFile(cfg.readTokenFile, "--read-token-file") : null;
  const registryEventsToken = cfg.registryEventsTokenFile
    ? readTokenFile(cfg.registryEventsTokenFile, "--registry-events-token-file")
    : null;
  if (!token) log.warn("no --token-file: agents and mutating REST calls are not authenticated");
  // Cloud identities (ECR, Artifact Registry, ACR) come from the collector's environment, as the SDKs read it.
  const readText = (p: string) => readFile(p, "utf8");
  const cloud = cloudIdentity({ env: process.env, readFile: readText, clock: systemClock });
  const live = cfg.registriesConfig
    ? await LiveRegistries.load({ path: cfg.registriesConfig, readFile: readText, cloud, log })
    : undefined;
  live?.start();
  const registries: RegistriesConfig = live ?? { hosts: new Map(), cloud };
  const authHealth = new RegistryAuthHealth();

  const db = openDatabase(cfg.db);
  const nodes = new NodeStore(db);
  const tags = new TagStore(db);
  const metrics = new CollectorMetrics();
  const resolver = new TagResolver({
    registries,
    tagCredentials,
    resolveIntervalMs: cfg.resolveInterval,
    log,
    onRequest: (registry, code) => metrics.registryRequests.inc({ registry, code: String(code) }),
    onAuth: (registry, failure) => {
      if (failure === null) return authHealth.succeeded(registry);
      metrics.registryAuthErrors.inc({ registry, reason: failure.reason });
      authHealth.failed({ registry, ...failure }, new Date().toISOString());
    },
  });
  const drift = new DriftService({
    nodes,
    tags,
    findings: new FindingStore(db),
    resolver,
    metrics,
    log,
    resolveIntervalMs: cfg.resolveInterval,
    kubernetes,
  });
  const gateway = new AgentGateway({ token, version, log, inventoryConcurrency: cfg.inventoryConcurrency });
  metrics.watchInventoryQueue(() => gateway.inventoryQueue());
  // Jobs: commands go out through the gateway's sessions; credentials are attached only when sending.
  const jobStore = new JobStore(db);
  const cluster = clusterFacts({ drift, nodes, tags });
  const presence = new ManifestPresence({
    ask: (ref, digest) => resolver.hasManifest(ref, digest),
    ttlMs: cfg.resolveInterval,
  });
  const jobs = new JobRunner({
    store: jobStore,
    cluster,
    sessions: gateway,
    prepare: commandPreparer({
      cluster,
      registries,
      tagCredentials,
      recentJobs: () => [...jobStore.active(), ...jobStore.list({ limit: 50 })],
      askByDigest: (repoDigest) => presence.of(repoDigest),
    }),
    jobsCounter: metrics.jobs,
    log,
    // What the registry tells a job right before it pulls is the tag's newest answer (resolvedBy: job).
    askRegistry: async (tag) => {
      const answer = await resolver.askNow(tag);
      drift.jobAsked(tag, resolutionOf(answer));
      return answer;
    },
  });
  const tls = await listenerCredentials({ cfg, kubeConfig, log });
  // What agents say goes to the drift domain and the jobs runner, both built by now.
  const grpcPort = await gateway.listen(
    `${cfg.grpcListen.host || "0.0.0.0"}:${cfg.grpcListen.port}`,
    {
      hello: (node, hello) => {
        jobs.agentConnected(node);
        return drift.hello(node, hello);
      },
      inventory: (_node, inventory, hash) => drift.inventory(inventory, hash),
      heartbeat: (node, hash, scanMode) => drift.heartbeat(node, hash, scanMode),
      commandUpdate: (node, update) => jobs.commandUpdate(node, update),
      disconnected: (node) => {
        log.info("agent disconnected", { node });
        jobs.agentDisconnected(node);
      },
    },
    tls.credentials,
  );
  const http = createHttpServer({
    drift,
    nodes,
    connectedNodes: () => gateway.connectedNodes(),
    token,
    readToken,
    registryEventsToken,
    registryEventsCounter: metrics.registryEvents,
    protectReads: cfg.protectReads,
    rateLimit: cfg.rateLimit,
    registry: metrics.registry,
    ready: () => (db.open ? null : "database closed"),
    log,
    jobs,
    resolveTags: (tags) => drift.resolveTags(tags),
    registryAuthProblems: () => authHealth.problems(),
  });
  await http.listen({ host: cfg.listen.host || "0.0.0.0", port: cfg.listen.port });
  const httpPort = (http.server.address() as { port: number }).port;
  drift.start();
  jobs.start();
  kubernetes?.start({
    onChange: () => drift.kubernetesChanged(),
    onNodeDeleted: (node) => drift.removeNode(node, "deleted from the cluster"),
  });
  log.info("collector started", {
    db: cfg.db,
    httpPort,
    grpcPort,
    tls: tls.mode,
    kubernetes: kubernetes !== undefined,
    version,
  });

  const shutdown = async (signal: string) => {
    log.info("stopping", { signal });
    live?.stop();
    tls.stop();
    await http.close();
    await jobs.stop();
    await kubernetes?.stop();
    await gateway.close();
    await drift.stop();
    db.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
});

program.parseAsync(process.argv).catch((thrown: unknown) => {
  const error = toImagedriftError(thrown);
  process.stderr.write(`imagedrift-collector: ${error.message}\n`);
  process.exitCode = exitCodeByError[error.code] ?? 1;
});
