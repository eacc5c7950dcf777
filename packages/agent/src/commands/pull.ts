/**
 * `pull`: make images present on the node and verify what the registry
 * served. An image already held under the expected digest is not pulled
 * again; a tag that moved (or one pulled with no expected digest) is.
 * Credentials (`PullItem.auth`) go to the runtime and nowhere else: not in
 * logs, results or messages.
 */
import {
  type CommandSpec,
  type PulledImage,
  type PullItem,
  parseImageRef,
  repositoryOf,
  shortDigest,
  toImagedriftError,
} from "@imagedrift/core";
import { type AuthConfig, type CriImage, pullFailureCode } from "@imagedrift/cri";
import type { CommandContext, CommandOutcome } from "./context.js";

export type PullSpec = Extract<CommandSpec, { type: "pull" }>;

/** The digests the runtime recorded for the image under one repository (`host/repo`), sorted. */
function digestsFor(image: CriImage | null, repository: string): string[] {
  if (image === null) return [];
  const prefix = `${repository}@`;
  return image.repoDigests
    .filter((entry) => entry.startsWith(prefix))
    .map((entry) => entry.slice(prefix.length))
    .sort();
}

/** CRI AuthConfig from a PullItem's auth; `serverAddress` exactly as given (containerd matches it to the host). */
function authConfig(auth: NonNullable<PullItem["auth"]>): AuthConfig {
  const config: AuthConfig = { serverAddress: auth.serverAddress };
  if (auth.username !== undefined) config.username = auth.username;
  if (auth.password !== undefined) config.password = auth.password;
  if (auth.identityToken !== undefined) config.identityToken = auth.identityToken;
  return config;
}

async function pullOne(ctx: CommandContext, item: PullItem, dryRun: boolean): Promise<PulledImage> {
  const ref = parseImageRef(item.ref);
  const repository = repositoryOf(ref);
  const expected = item.expectedDigest;
  const present = await ctx.cri.imageStatus(item.ref);
  // A digest reference names immutable content: holding it is enough.
  const wanted = expected ?? ref.digest;
  if (present !== null && wanted !== null && digestsFor(present, repository).includes(wanted)) {
    return {
      ref: item.ref,
      imageId: present.id,
      digest: wanted,
      verified: expected === null ? null : true,
      alreadyPresent: true,
    };
  }
  if (dryRun) {
    const digest = digestsFor(present, repository)[0] ?? null;
    return { ref: item.ref, imageId: present?.id ?? "", digest, verified: null, alreadyPresent: false };
  }

  const timeoutMs = Math.max(1_000, ctx.deadline - Date.now());
  const imageId = await ctx.cri.pullImage(item.ref, {
    ...(item.auth ? { auth: authConfig(item.auth) } : {}),
    timeoutMs,
  });
  const pulled = await ctx.cri.imageStatus(item.ref);
  const digests = digestsFor(pulled, repository);
  const digest = ref.digest ?? (expected !== null && digests.includes(expected) ? expected : (digests[0] ?? null));
  const result: PulledImage = {
    ref: item.ref,
    imageId: pulled?.id ?? imageId,
    digest,
    verified: expected === null ? null : digest === expected,
    alreadyPresent: false,
  };
  if (result.verified === false) {
    result.error = `${item.ref} was pulled at ${digestText(digest)}, but ${digestText(expected)} was expected`;
  }
  return result;
}

/** Belt and braces: a runtime error should never quote a secret, but if one does, it goes no further. */
function redact(message: string, auth: PullItem["auth"]): string {
  let out = message;
  for (const secret of [auth?.password, auth?.identityToken]) {
    if (secret) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/** Pulls each image in turn; an item that fails does not stop the others. */
export async function runPull(ctx: CommandContext, spec: PullSpec): Promise<CommandOutcome> {
  ctx.result.pulled ??= [];
  const pulled = ctx.result.pulled;
  if (spec.dryRun) ctx.result.dryRun = true;
  for (const [index, item] of spec.images.entries()) {
    if (ctx.signal.aborted) break;
    const started = performance.now();
    let outcome: PulledImage;
    try {
      outcome = await pullOne(ctx, item, spec.dryRun);
    } catch (thrown) {
      const error = toImagedriftError(thrown);
      outcome = {
        ref: item.ref,
        imageId: "",
        digest: null,
        verified: null,
        alreadyPresent: false,
        error: redact(error.message, item.auth),
        errorCode: pullFailureCode(error),
      };
    }
    pulled.push(outcome);
    const ms = Math.round(performance.now() - started);
    if (outcome.error) ctx.log.warn("pull failed", { ref: item.ref, error: outcome.error, ms });
    else
      ctx.log.info(spec.dryRun ? "pull planned" : "image pulled", {
        ref: item.ref,
        digest: outcome.digest,
        alreadyPresent: outcome.alreadyPresent,
        ms,
      });
    ctx.progress(`${index + 1}/${spec.images.length}: ${item.ref} ${describe(outcome, spec.dryRun)}`);
  }
  const failed = pulled.filter((p) => p.error !== undefined);
  const fresh = pulled.filter((p) => !p.error && !p.alreadyPresent).length;
  const present = pulled.filter((p) => p.alreadyPresent).length;
  const counts = `${spec.dryRun ? "would pull" : "pulled"} ${fresh}, already present ${present}, failed ${failed.length}`;
  return {
    failed: failed.length > 0,
    message: failed.length > 0 ? `${counts}: ${failed.map((p) => p.error).join("; ")}` : counts,
  };
}

/** A digest in a message: core's short form, or "no digest". */
function digestText(digest: string | null): string {
  return digest === null ? "no digest" : shortDigest(digest);
}

function describe(pulled: PulledImage, dryRun: boolean): string {
  if (pulled.error) return `failed: ${pulled.error}`;
  if (pulled.alreadyPresent) return `already present at ${digestText(pulled.digest)}`;
  if (dryRun) return "would be pulled";
  return `pulled at ${digestText(pulled.digest)}${pulled.verified ? " (verified)" : ""}`;
}
