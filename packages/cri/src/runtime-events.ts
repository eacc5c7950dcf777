/**
 * containerd's own event stream (`containerd.services.events.v1.Events/
 * Subscribe`), served on the same socket as CRI: what lets the agent rescan
 * within a moment of a pull, a removal or a container starting, instead of
 * at its next interval. Runtimes without the service (CRI-O, cri-dockerd)
 * answer UNIMPLEMENTED: the stream then says `unsupported`, asks again
 * rarely (the runtime may be upgraded in place), and the agent keeps
 * polling. Any other end of the stream (a runtime restart) is retried with a
 * short, capped back-off.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { backoffMs } from "@imagedrift/core";
import { grpcTarget } from "./client.js";
import { grpcStatusName, isServiceError } from "./status.js";

const protoPath = fileURLToPath(new URL("../../../proto/containerd/services/events/v1/events.proto", import.meta.url));

export interface RuntimeEvent {
  /** `/images/create`, `/containers/delete`, `/tasks/exit`, … */
  topic: string;
  namespace: string;
}

/**
 * `subscribed`: the stream is open (events flow as they happen);
 * `reconnecting`: it ended and is being opened again;
 * `unsupported`: the runtime has no event service.
 */
export type RuntimeEventsState = "subscribed" | "reconnecting" | "unsupported";

export interface RuntimeEventsOptions {
  endpoint: string;
  /** containerd namespace; kubelet's images and containers live in `k8s.io`. */
  namespace: string;
  /** Topic prefixes wanted (`/images/`); the runtime filters, so that others never cross the socket. */
  topics: readonly string[];
  onEvent: (event: RuntimeEvent) => void;
  /** Each change of state, with why for the two that are not `subscribed`. */
  onState: (state: RuntimeEventsState, detail: string | null) => void;
  /** Back-off between attempts after the stream ends; default 200 ms doubling to 5 s. */
  retry?: { initialMs: number; maxMs: number };
  /** How long to wait before asking a runtime without the service again; default 10 min. */
  unsupportedRetryMs?: number;
}

type SubscribeCall = grpc.ClientReadableStream<{ topic?: string; namespace?: string }>;
type EventsClient = grpc.Client & { Subscribe(request: { filters: string[] }): SubscribeCall };

let loaded: grpc.ServiceClientConstructor | undefined;
function eventsClient(): grpc.ServiceClientConstructor {
  loaded ??= (() => {
    const definition = protoLoader.loadSync(protoPath, { keepCase: false, longs: String, defaults: true });
    const root = grpc.loadPackageDefinition(definition) as unknown as {
      containerd: { services: { events: { v1: { Events: grpc.ServiceClientConstructor } } } };
    };
    return root.containerd.services.events.v1.Events;
  })();
  return loaded;
}

/** containerd's filter for one topic prefix in one namespace (filters in one request are ORed). */
export function eventFilter(namespace: string, topicPrefix: string): string {
  const quoted = (value: string) => JSON.stringify(value);
  return `namespace==${quoted(namespace)},topic~=${quoted(`^${topicPrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`)}`;
}

export class RuntimeEvents {
  readonly #options: RuntimeEventsOptions;
  readonly #client: EventsClient;
  #call: SubscribeCall | undefined;
  #timer: NodeJS.Timeout | undefined;
  #state: RuntimeEventsState | undefined;
  #failures = 0;
  #closed = false;

  private constructor(options: RuntimeEventsOptions) {
    this.#options = options;
    const Client = eventsClient();
    this.#client = new Client(grpcTarget(options.endpoint), grpc.credentials.createInsecure(), {
      "grpc.initial_reconnect_backoff_ms": 200,
      "grpc.max_reconnect_backoff_ms": 2_000,
      "grpc.enable_channelz": 0,
    }) as unknown as EventsClient;
  }

  /** Opens the stream, and keeps it open until close(). */
  static subscribe(options: RuntimeEventsOptions): RuntimeEvents {
    const events = new RuntimeEvents(options);
    events.#open();
    return events;
  }

  get state(): RuntimeEventsState | undefined {
    return this.#state;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#call?.cancel();
    this.#client.close();
  }

  #setState(state: RuntimeEventsState, detail: string | null): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onState(state, detail);
  }

  #open(): void {
    if (this.#closed) return;
    const { namespace, topics } = this.#options;
    // Wait for the socket first, so that "subscribed" means the request reached a runtime.
    this.#client.waitForReady(Date.now() + 5_000, (error) => {
      if (this.#closed) return;
      if (error) {
        this.#retry(`cannot reach the runtime: ${error.message}`);
        return;
      }
      const call = this.#client.Subscribe({ filters: topics.map((topic) => eventFilter(namespace, topic)) });
      this.#call = call;
      // containerd sends no headers before its first event: an open call on a ready channel is the best sign.
      this.#setState("subscribed", null);
      call.on("data", (envelope: { topic?: string; namespace?: string }) => {
        this.#failures = 0;
        this.#options.onEvent({ topic: envelope.topic ?? "", namespace: envelope.namespace ?? "" });
      });
      call.on("error", (thrown: Error) => {
        if (this.#closed || this.#call !== call) return;
        this.#call = undefined;
        if (isServiceError(thrown) && thrown.code === grpc.status.UNIMPLEMENTED) {
          this.#setState("unsupported", "the runtime has no containerd event service");
          this.#timer = setTimeout(() => this.#open(), this.#options.unsupportedRetryMs ?? 10 * 60_000);
          return;
        }
        const code = isServiceError(thrown) ? grpcStatusName(thrown.code) : "error";
        this.#retry(`event stream ended (${code}): ${isServiceError(thrown) ? thrown.details : thrown.message}`);
      });
      call.on("end", () => {
        if (this.#closed || this.#call !== call) return;
        this.#call = undefined;
        this.#retry("event stream ended");
      });
    });
  }

  #retry(why: string): void {
    this.#setState("reconnecting", why);
    const { initialMs, maxMs } = this.#options.retry ?? { initialMs: 200, maxMs: 5_000 };
    this.#failures += 1;
    const delay = backoffMs({ baseMs: initialMs, maxMs, jitter: "none" }, this.#failures);
    this.#timer = setTimeout(() => this.#open(), delay);
  }
}
