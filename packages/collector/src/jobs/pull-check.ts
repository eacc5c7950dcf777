/**
 * Before a pulling job sends anything, the collector asks the registry about
 * each tag it pulls (one HEAD each, as resolving does). A registry that says
 * the tag does not exist (404) or refuses the collector's credentials
 * (401/403, the same credentials the agents would pull with) fails the nodes
 * that pull it at once, with the registry's reason, instead of every node
 * trying and retrying a pull that cannot succeed. A registry the collector
 * cannot reach proves nothing (nodes may reach it through a mirror), so those
 * pulls go ahead, as do pulls by digest.
 */
import { type CommandSpec, REGISTRY_REFUSAL_CODES, tryParseImageRef } from "@imagedrift/core";
import type { RegistryResult } from "../registry/registry-client.js";

/** Asks the registry about one normalised tag, now. */
export type RegistryAsk = (tag: string) => Promise<RegistryResult>;

/** The tags that pull steps pull, distinct and in order (references by digest are not asked about). */
export function pulledTags(steps: readonly CommandSpec[]): string[] {
  const tags = new Set<string>();
  for (const step of steps) {
    if (step.type !== "pull") continue;
    for (const item of step.images) if (tryParseImageRef(item.ref)?.digest === null) tags.add(item.ref);
  }
  return [...tags];
}

/** Why the registry says `tag` cannot be pulled, or null when it can (or cannot tell). */
export function refusalOf(tag: string, answer: RegistryResult): string | null {
  if (answer.state === "not-found") return `${tag}: the registry has no such tag (404): push it, or check the name`;
  // A 404 is its own state; an error with a refusal code is credentials refused.
  if (answer.state === "error" && REGISTRY_REFUSAL_CODES.has(answer.code)) {
    return answer.error.startsWith(tag) ? answer.error : `${tag}: ${answer.error}`;
  }
  return null;
}

/** Each of `tags` the registry refuses, with why; asked in parallel (the client keeps each registry's rate limit). */
export async function refusedTags(tags: readonly string[], ask: RegistryAsk): Promise<Map<string, string>> {
  const answers = await Promise.all(tags.map(async (tag) => [tag, refusalOf(tag, await ask(tag))] as const));
  return new Map(answers.filter((entry): entry is readonly [string, string] => entry[1] !== null));
}
