/**
 * Follows the runtime's event stream and turns it into rescans: a burst of
 * events (a pull makes several: content, image, unpack) becomes one scan,
 * started once the burst has been quiet for a moment or, for a long burst,
 * a short while after its first event. Every (re)opening of the stream
 * rescans too: events missed while it was down must not go unseen.
 */
import type { Logger } from "@imagedrift/core";
import { type RuntimeEvent, RuntimeEvents, type RuntimeEventsState } from "@imagedrift/cri";

/** How the agent learns of changes: from the event stream, or by polling alone. */
export type ScanMode = "events" | "polling";

/** Image, container and task events: what changes an inventory. */
const TOPICS = ["/images/", "/containers/", "/tasks/"] as const;

export interface EventWatchOptions {
  endpoint: string;
  log: Logger;
  /** A change worth a rescan happened. */
  onChange: () => void;
  onMode: (mode: ScanMode, why: string) => void;
  onEvent?: (event: RuntimeEvent) => void;
  /** Quiet time that ends a burst; default 100 ms. */
  quietMs?: number;
  /** The longest a burst delays its rescan; default 1 s. */
  maxDelayMs?: number;
}

export class EventWatch {
  readonly #options: EventWatchOptions;
  readonly #events: RuntimeEvents;
  #quiet: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #mode: ScanMode = "polling";

  constructor(options: EventWatchOptions) {
    this.#options = options;
    this.#events = RuntimeEvents.subscribe({
      endpoint: options.endpoint,
      namespace: "k8s.io",
      topics: TOPICS,
      onEvent: (event) => {
        options.onEvent?.(event);
        this.#burst();
      },
      onState: (state, detail) => this.#state(state, detail),
    });
  }

  get mode(): ScanMode {
    return this.#mode;
  }

  close(): void {
    clearTimeout(this.#quiet);
    clearTimeout(this.#deadline);
    this.#events.close();
  }

  #state(state: RuntimeEventsState, detail: string | null): void {
    const mode: ScanMode = state === "subscribed" ? "events" : "polling";
    const why = detail ?? "following the runtime's event stream";
    if (mode !== this.#mode) {
      this.#mode = mode;
      this.#options.log.info(mode === "events" ? "rescanning on runtime events" : "polling the runtime", { why });
      this.#options.onMode(mode, why);
    }
    if (state === "subscribed") this.#options.onChange();
  }

  #burst(): void {
    clearTimeout(this.#quiet);
    this.#quiet = setTimeout(() => this.#fire(), this.#options.quietMs ?? 100);
    this.#deadline ??= setTimeout(() => this.#fire(), this.#options.maxDelayMs ?? 1_000);
  }

  #fire(): void {
    clearTimeout(this.#quiet);
    clearTimeout(this.#deadline);
    this.#quiet = undefined;
    this.#deadline = undefined;
    this.#options.onChange();
  }
}
