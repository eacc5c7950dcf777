import { silentLogger } from "@imagedrift/core";
import type { Database } from "better-sqlite3";
import { DriftService } from "../drift/index.js";
import { FakeAgentSessions } from "../jobs/agent-sessions.fake.js";
import { clusterFacts } from "../jobs/cluster-facts.js";
import { commandPreparer } from "../jobs/command-preparer.js";
import { JobRunner } from "../jobs/job-runner.js";
import { JobStore } from "../jobs/job-store.js";
import { CollectorMetrics } from "../metrics.js";
import { FakeClock } from "../registry/clock.fake.js";
import { emptyRegistriesConfig } from "../registry/registry-host.js";
import { FindingStore, NodeStore, openDatabase, TagStore } from "../store/index.js";
import { createHttpServer, type HttpServerOptions } from "./server.js";

export interface DriftOnStores {
  db: Database;
  nodes: NodeStore;
  tags: TagStore;
  metrics: CollectorMetrics;
  drift: DriftService;
}

/**
 * The collector's drift service on real stores over an in-memory database,
 * with a resolver that never answers: for HTTP tests. `seed` stores nodes
 * before the service starts, as a restarted collector finds them.
 */
export function driftOnStores(seed: (nodes: NodeStore) => void = () => {}): DriftOnStores {
  const db = openDatabase(":memory:");
  const nodes = new NodeStore(db);
  const tags = new TagStore(db);
  seed(nodes);
  const metrics = new CollectorMetrics({ processMetrics: false });
  const drift = new DriftService({
    nodes,
    tags,
    findings: new FindingStore(db),
    resolver: { resolve: async () => new Map() },
    metrics,
    log: silentLogger,
    resolveIntervalMs: 60_000,
  });
  return { db, nodes, tags, metrics, drift };
}

/** The HTTP server over them: open (no token, reads unprotected) and without jobs unless `options` say otherwise. */
export function httpServer(stores: DriftOnStores, options: Partial<HttpServerOptions> = {}) {
  return createHttpServer({
    drift: stores.drift,
    nodes: stores.nodes,
    connectedNodes: () => [],
    token: null,
    protectReads: false,
    registry: stores.metrics.registry,
    ready: () => null,
    log: silentLogger,
    ...options,
  });
}

/** Jobs over those stores, their commands answered by fake agents (a test double) that tests connect and script. */
export function jobsOnStores(stores: DriftOnStores) {
  const store = new JobStore(stores.db);
  const cluster = clusterFacts({ drift: stores.drift, nodes: stores.nodes, tags: stores.tags });
  const agents = new FakeAgentSessions();
  const runner = new JobRunner({
    store,
    cluster,
    sessions: agents,
    prepare: commandPreparer({ cluster, registries: emptyRegistriesConfig, recentJobs: () => store.active() }),
    jobsCounter: stores.metrics.jobs,
    log: silentLogger,
    clock: new FakeClock(),
  });
  agents.deliver = (node, update) => runner.commandUpdate(node, update);
  return { store, cluster, agents, runner };
}
