import {
  type ConfigIssue,
  configError,
  formatImageRef,
  isDialAddress,
  type ListenAddress,
  type LogLevel,
  parseDuration,
  parseImageRef,
  parseListenAddress,
  tryCatch,
} from "@imagedrift/core";
import { grpcTarget } from "@imagedrift/cri";
import { DEFAULT_CRI_ENDPOINT } from "./cri-endpoint.js";

export { DEFAULT_CRI_ENDPOINT };

/** Raw option values as flags and env give them (docs/ARCHITECTURE.md#the-agent), before validation. */
export interface AgentOptions {
  criEndpoint?: string;
  nodeName?: string;
  collector?: string;
  listen?: string;
  interval?: string;
  events?: string;
  eventsInterval?: string;
  tokenFile?: string;
  nodeLabels?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  sandboxImage?: string;
  logLevel?: string;
}

export interface AgentConfig {
  criEndpoint: string;
  nodeName: string;
  collector?: string;
  listen: ListenAddress;
  /** Milliseconds: the rescan period while polling. */
  interval: number;
  /** `auto`: follow containerd's event stream when the runtime has one; `off`: poll only. */
  events: EventsMode;
  /** Milliseconds: the rescan period while the event stream is open (a safety net). */
  eventsInterval: number;
  tokenFile?: string;
  nodeLabels: Record<string, string>;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  sandboxImage?: string;
  logLevel: LogLevel;
}

export type EventsMode = "auto" | "off";

const DEFAULTS = {
  criEndpoint: DEFAULT_CRI_ENDPOINT,
  listen: ":9101",
  interval: "60s",
  events: "auto",
  eventsInterval: "10m",
  logLevel: "info",
} as const;
const EVENTS_MODES: readonly string[] = ["auto", "off"] satisfies EventsMode[];
const LOG_LEVELS: readonly string[] = ["debug", "info", "warn", "error"] satisfies LogLevel[];
const MIN_INTERVAL_MS = 1000;
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL = /^([A-Za-z0-9][-A-Za-z0-9_./]{0,252})=([-A-Za-z0-9_.]{0,63})$/;

/** Checks one flag's value: returns what it means, or calls `problem` (as often as needed) or throws. */
type FlagParser<T> = (value: string, problem: (message: string) => void) => T;

const parsers = {
  criEndpoint: (value) => {
    grpcTarget(value);
    return value;
  },
  nodeName: (value, problem) => {
    if (value.length > 253) problem("must be a Kubernetes node name (at most 253 characters)");
    else if (!NODE_NAME.test(value)) {
      problem("must be a Kubernetes node name (lowercase letters, digits, '-' and '.')");
    }
    return value;
  },
  collector: (value, problem) => {
    if (!isDialAddress(value)) {
      problem("must be host:port of the collector's gRPC listener, e.g. imagedrift-collector:9100");
    }
    return value;
  },
  listen: (value) => parseListenAddress(value),
  interval: (value, problem) => {
    const ms = parseDuration(value);
    if (ms < MIN_INTERVAL_MS) problem(`"${value}" is too short (at least ${MIN_INTERVAL_MS / 1000}s)`);
    return ms;
  },
  events: (value, problem) => {
    if (!EVENTS_MODES.includes(value)) problem(`must be one of ${EVENTS_MODES.join(", ")}`);
    return value as EventsMode;
  },
  nodeLabels: (value, problem) => {
    const labels: Record<string, string> = {};
    for (const pair of value.split(",").filter(Boolean)) {
      const match = LABEL.exec(pair.trim());
      if (match?.[1] !== undefined) labels[match[1]] = match[2] ?? "";
      else problem(`"${pair}" is not a label (expected key=value)`);
    }
    return labels;
  },
  sandboxImage: (value) => formatImageRef(parseImageRef(value)),
  logLevel: (value, problem) => {
    if (!LOG_LEVELS.includes(value)) problem(`must be one of ${LOG_LEVELS.join(", ")}`);
    return value as LogLevel;
  },
} satisfies Partial<Record<keyof AgentOptions, FlagParser<unknown>>>;

/**
 * Validates the options (docs/ARCHITECTURE.md#the-agent) and applies the defaults; throws one
 * invalid-config error listing every problem, each under its flag. Written
 * out rather than as a zod schema: zod was the largest library the daemon
 * loaded for nothing else, and its memory stayed for the daemon's life.
 */
export function parseAgentConfig(options: AgentOptions): AgentConfig {
  const given = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined && value !== ""),
  ) as AgentOptions;
  const raw: AgentOptions = { ...DEFAULTS, ...given };
  const issues: ConfigIssue[] = [];
  const problemWith = (key: keyof AgentOptions) => (message: string) => issues.push({ path: [key], message });

  function flag<T>(key: keyof AgentOptions, parse: FlagParser<T>): T | undefined {
    const value: unknown = raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== "string") {
      problemWith(key)(`expected a string, got ${typeof value}`);
      return undefined;
    }
    const parsed = tryCatch(() => parse(value, problemWith(key)));
    if (parsed.error) problemWith(key)(parsed.error.message);
    return parsed.value;
  }
  const text = (value: string) => value;

  // In the order of the flags, so that problems are listed in that order.
  const criEndpoint = flag("criEndpoint", parsers.criEndpoint);
  const nodeName = flag("nodeName", parsers.nodeName);
  if (raw.nodeName === undefined) {
    problemWith("nodeName")("no node name: set --node-name, IMAGEDRIFT_NODE_NAME or NODE_NAME");
  }
  const collector = flag("collector", parsers.collector);
  const listen = flag("listen", parsers.listen);
  const interval = flag("interval", parsers.interval);
  const events = flag("events", parsers.events);
  const eventsInterval = flag("eventsInterval", parsers.interval);
  const tokenFile = flag("tokenFile", text);
  const nodeLabels = flag("nodeLabels", parsers.nodeLabels) ?? {};
  const tlsCa = flag("tlsCa", text);
  const tlsCert = flag("tlsCert", text);
  const tlsKey = flag("tlsKey", text);
  const sandboxImage = flag("sandboxImage", parsers.sandboxImage);
  const logLevel = flag("logLevel", parsers.logLevel);
  // A client certificate (mutual TLS) comes with its key, over TLS.
  if (Boolean(raw.tlsCert) !== Boolean(raw.tlsKey)) problemWith("tlsCert")("--tls-cert and --tls-key go together");
  if (raw.tlsCert && !raw.tlsCa)
    problemWith("tlsCert")("a client certificate needs --tls-ca (mutual TLS is TLS first)");

  if (
    issues.length > 0 ||
    criEndpoint === undefined ||
    nodeName === undefined ||
    listen === undefined ||
    interval === undefined ||
    events === undefined ||
    eventsInterval === undefined ||
    logLevel === undefined
  ) {
    throw configError(issues);
  }
  return {
    criEndpoint,
    nodeName,
    ...(collector === undefined ? {} : { collector }),
    listen,
    interval,
    events,
    eventsInterval,
    ...(tokenFile === undefined ? {} : { tokenFile }),
    nodeLabels,
    ...(tlsCa === undefined ? {} : { tlsCa }),
    ...(tlsCert === undefined ? {} : { tlsCert }),
    ...(tlsKey === undefined ? {} : { tlsKey }),
    ...(sandboxImage === undefined ? {} : { sandboxImage }),
    logLevel,
  };
}
