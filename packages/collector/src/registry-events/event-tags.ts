import { tagOfReference, tryParseImageRef } from "@imagedrift/core";
import type { RegistryEvent } from "./registry-event-payloads.js";

/**
 * The tags (normalised `host/repository:tag`) among `known` that the events
 * push or delete. A registry names itself as it is configured or reached
 * (`127.0.0.1:5000` while nodes pull `localhost:5000`, a load balancer's
 * name), so an event matches its own host first, and otherwise the same
 * repository and tag under any host: a wrong guess costs one HEAD, a missed
 * push costs a whole interval. Events about tags nobody holds match nothing.
 */
export function tagsOfEvents(events: readonly RegistryEvent[], known: Iterable<string>): string[] {
  return [...matchEvents(events, known).keys()].sort();
}

/**
 * The known tags the events push or delete (as tagsOfEvents), each with the
 * digest its last push names, or null (a delete, a payload without one): a
 * hint of what the registry should answer, never the answer itself.
 */
export function pushedDigests(events: readonly RegistryEvent[], known: Iterable<string>): Map<string, string | null> {
  return matchEvents(events, known);
}

function matchEvents(events: readonly RegistryEvent[], known: Iterable<string>): Map<string, string | null> {
  const wanted = events.filter((e) => (e.action === "push" || e.action === "delete") && e.tag !== null);
  const matched = new Map<string, string | null>();
  if (wanted.length === 0) return matched;
  const knownSet = new Set(known);
  const byPath = new Map<string, string[]>();
  for (const tag of knownSet) {
    const ref = tryParseImageRef(tag);
    if (ref === null || ref.tag === null) continue;
    const path = `${ref.repository}:${ref.tag}`;
    byPath.set(path, [...(byPath.get(path) ?? []), tag]);
  }
  for (const event of wanted) {
    const digest = event.action === "push" ? event.digest : null;
    const exact = event.host === null ? null : tagOfReference(`${event.host}/${event.repository}:${event.tag}`);
    if (exact !== null && knownSet.has(exact)) {
      matched.set(exact, digest);
      continue;
    }
    // The repository as a reference normalises it (Docker Hub's `library/` prefix); a host that is
    // no registry's stands in when the payload names none, so that no prefix is added.
    const ref = tryParseImageRef(`${event.host ?? "registry.invalid"}/${event.repository}:${event.tag}`);
    const path = ref === null ? `${event.repository}:${event.tag}` : `${ref.repository}:${ref.tag}`;
    for (const tag of byPath.get(path) ?? []) matched.set(tag, digest);
  }
  return matched;
}
