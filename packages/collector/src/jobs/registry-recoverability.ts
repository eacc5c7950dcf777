/**
 * What the tag views leave in doubt about an image's recoverability (its tag
 * moved on: is the old digest still in the registry?), asked of the registry
 * by digest right before a removal is sent. An image the registry still has
 * can come back with a pull by digest; one it answers 404 for is an only copy;
 * one it does not answer about stays in doubt, and so is kept.
 */
import { type NodeImage, ONLY_COPY, type RecoverabilityFacts } from "@imagedrift/core";
import type { Presence } from "../registry/manifest-presence.js";

/** Asks whether a registry has `host/repo@digest`; never throws. */
export type PresenceAsk = (repoDigest: string) => Promise<Presence>;

/** Images asked about per command at most; the rest stay in doubt (kept). */
const MAX_ASKED = 500;

async function verdict(image: NodeImage, ask: PresenceAsk): Promise<{ recoverable: true } | { reason: string }> {
  const unknown: string[] = [];
  const absent: string[] = [];
  for (const repoDigest of image.repoDigests) {
    const presence = await ask(repoDigest);
    if (presence.state === "present") return { recoverable: true };
    if (presence.state === "absent") absent.push(repoDigest);
    else unknown.push(`${repoDigest}: ${presence.error}`);
  }
  if (unknown.length > 0)
    return { reason: `maybe the only copy: the registry did not say whether it has ${unknown[0]}` };
  return { reason: `${ONLY_COPY} (its registry answers 404 for ${absent.join(", ")})` };
}

/**
 * `facts` with the doubtful images (not known to be only copies, with repo
 * digests) settled by asking the registry: found ones become recoverable,
 * the others get the registry's answer as their reason.
 */
export async function askRegistryByDigest(
  facts: RecoverabilityFacts,
  images: readonly NodeImage[],
  ask: PresenceAsk,
): Promise<RecoverabilityFacts> {
  const doubtful = images
    .filter((image) => {
      const reason = facts.unrecoverable[image.id];
      return reason !== undefined && !reason.startsWith(ONLY_COPY) && image.repoDigests.length > 0;
    })
    .slice(0, MAX_ASKED);
  if (doubtful.length === 0) return facts;
  const verdicts = await Promise.all(doubtful.map(async (image) => [image.id, await verdict(image, ask)] as const));
  const recoverable = new Set(facts.recoverable);
  const unrecoverable = { ...facts.unrecoverable };
  for (const [id, found] of verdicts) {
    if ("recoverable" in found) {
      recoverable.add(id);
      delete unrecoverable[id];
    } else {
      unrecoverable[id] = found.reason;
    }
  }
  return { recoverable: [...recoverable].sort(), unrecoverable };
}
