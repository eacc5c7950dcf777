import { createLogger, formatDuration, type LogLevel } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import { readTokenFile } from "@imagedrift/protocol";
import { readCollectorCredentials, type TlsFiles } from "./collector-credentials.js";
import { CommandExecutor } from "./commands/executor.js";
import type { AgentConfig } from "./config.js";
import { EventWatch, type ScanMode } from "./event-watch.js";
import { startAgentHttp } from "./http-server.js";
import { AgentMetrics } from "./metrics.js";
import { CollectorReporter } from "./reporter.js";
import { ScanLoop } from "./scan-loop.js";

const tlsFiles = (cfg: AgentConfig): TlsFiles => ({ ca: cfg.tlsCa ?? "", cert: cfg.tlsCert, key: cfg.tlsKey });

/**
 * Wires and starts the daemon from a parsed config: scan loop, reporter,
 * command executor, HTTP surface; stops them on SIGTERM or SIGINT. main.ts
 * imports this module only when the daemon runs, so that `--version`,
 * `--help` and the one-shot commands never load the reporter's gRPC client,
 * prom-client or the collector protocol.
 */
export async function runDaemon(cfg: AgentConfig, version: string): Promise<void> {
  const log = createLogger({
    write: (line) => process.stderr.write(line),
    level: cfg.logLevel as LogLevel,
    fields: { component: "agent", node: cfg.nodeName },
  });
  const metrics = new AgentMetrics();
  const cri = CriClient.connect({ endpoint: cfg.criEndpoint, observer: metrics.observeCriCall });
  // Every other part follows the scan loop; it learns where inventories go when it starts.
  const loop = new ScanLoop({
    cri,
    node: cfg.nodeName,
    sandboxImage: cfg.sandboxImage,
    intervalMs: cfg.interval,
    metrics,
    log,
  });
  // After a pull or removal, rescan at once so that the collector sees the change.
  const executor = new CommandExecutor({
    cri,
    node: cfg.nodeName,
    sandboxImage: cfg.sandboxImage,
    log,
    onImagesChanged: () => void loop.rescan(),
  });
  // Polling until the event stream is open (EventWatch.onMode says when); the reporter tells the collector.
  let scanMode: ScanMode = "polling";
  const reporter = cfg.collector
    ? new CollectorReporter({
        address: cfg.collector,
        node: cfg.nodeName,
        token: cfg.tokenFile ? readTokenFile(cfg.tokenFile) : null,
        intervalMs: cfg.interval,
        agentVersion: version,
        labels: cfg.nodeLabels,
        ...(cfg.tlsCa ? { credentials: () => readCollectorCredentials(tlsFiles(cfg)) } : {}),
        log,
        onCollectorMessage: executor.onCollectorMessage,
        onConnectionChange: (connected) => metrics.recordCollectorConnection(connected),
        inventoryCurrent: () => loop.ready() === null,
        scanMode: () => scanMode,
      })
    : undefined;
  metrics.recordScanMode(scanMode);
  const watch =
    cfg.events === "auto"
      ? new EventWatch({
          endpoint: cfg.criEndpoint,
          log,
          onChange: () => void loop.rescan(),
          onMode: (mode) => {
            scanMode = mode;
            metrics.recordScanMode(mode);
            reporter?.scanModeChanged();
            loop.setInterval(mode === "events" ? cfg.eventsInterval : cfg.interval);
          },
          onEvent: (event) => metrics.recordRuntimeEvent(event.topic),
        })
      : undefined;
  const http = await startAgentHttp({
    ...cfg.listen,
    registry: metrics.registry,
    live: loop.live,
    ready: loop.ready,
    readyDetail: () =>
      (watch?.mode === "events"
        ? `mode: events (rescans on runtime events; full rescan every ${formatDuration(loop.intervalMs)})`
        : `mode: polling (every ${formatDuration(loop.intervalMs)}${cfg.events === "off" ? ", --events off" : ""})`) +
      (reporter?.waiting ? `; ${reporter.waiting}` : ""),
  });
  loop.start((inventory) => reporter?.publish(inventory));
  // On the event stream, the image filesystem's usage is still asked every --interval (see checkImageFs).
  const usageCheck = setInterval(() => {
    if (watch?.mode === "events") void loop.checkImageFs();
  }, cfg.interval).unref();
  reporter?.start();
  log.info("agent started", {
    endpoint: cfg.criEndpoint,
    listen: `${cfg.listen.host}:${http.port}`,
    intervalMs: cfg.interval,
    events: cfg.events,
    collector: cfg.collector ?? null,
  });

  const shutdown = async (signal: string) => {
    log.info("stopping", { signal });
    executor.shutdown();
    watch?.close();
    clearInterval(usageCheck);
    reporter?.stop();
    await loop.stop();
    await new Promise((resolve) => http.server.close(resolve));
    cri.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}
