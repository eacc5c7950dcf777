/**
 * `POST /api/v1/registry-events`: a registry's push notification (the
 * distribution envelope, Harbor's webhook, Docker Hub's). A push or delete of
 * a tag some node holds or a pod wants has that tag asked of the registry at
 * once, through the usual HEAD and rate limit; the payload's digest is not
 * trusted. Events about other tags cost no registry request. The answer does
 * not wait for the registry: a registry's notifier times out in a second.
 */
import type { FastifyInstance } from "fastify";
import type { Counter } from "prom-client";
import { pushedDigests, tagsOfEvents } from "../registry-events/event-tags.js";
import { parseRegistryEvents, type RegistryEventSource } from "../registry-events/registry-event-payloads.js";

export const REGISTRY_EVENTS_PATH = "/api/v1/registry-events";

/** docker-registry's notification media type: read as JSON. */
export const DISTRIBUTION_EVENTS_TYPE = "application/vnd.docker.distribution.events.v1+json";

export interface RegistryEventsAnswer {
  source: RegistryEventSource;
  /** Events in the payload. */
  events: number;
  /** The known tags they name, asked of their registries now. */
  resolving: string[];
}

export interface RegistryEventDeps {
  /** Every tag some node holds or a pod wants. */
  knownTags: () => Iterable<string>;
  /** Asks the registry for these tags now, whatever the interval; `pushed`: the digest each push named, a hint. */
  resolveChanged: (tags: readonly string[], pushed: ReadonlyMap<string, string | null>) => Promise<void>;
  /** imagedrift_registry_events_total{source,action,result}. */
  counter: Counter<"source" | "action" | "result">;
}

export function registerRegistryEventRoutes(app: FastifyInstance, deps: RegistryEventDeps): void {
  app.post(REGISTRY_EVENTS_PATH, async (request, reply) => {
    let parsed: ReturnType<typeof parseRegistryEvents>;
    try {
      parsed = parseRegistryEvents(request.body);
    } catch (thrown) {
      deps.counter.inc({ source: "unknown", action: "unknown", result: "invalid" });
      throw thrown;
    }
    const known = deps.knownTags();
    const pushed = pushedDigests(parsed.events, known);
    const resolving = [...pushed.keys()].sort();
    const matchedNow = new Set(resolving);
    for (const event of parsed.events) {
      const one = tagsOfEvents([event], matchedNow);
      const result = one.length > 0 ? "resolving" : event.action === "other" ? "ignored" : "not-held";
      deps.counter.inc({ source: parsed.source, action: event.action, result });
    }
    // The queue coalesces: a tag already queued or being asked is asked once.
    if (resolving.length > 0) void deps.resolveChanged(resolving, pushed);
    const answer: RegistryEventsAnswer = { source: parsed.source, events: parsed.events.length, resolving };
    return reply.status(202).send(answer);
  });
}
