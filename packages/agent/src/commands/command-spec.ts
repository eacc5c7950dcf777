/**
 * The command a collector sends (`Command.spec_json`), validated before
 * anything runs: every problem is listed under its path, and no value is
 * echoed back (a spec may carry registry credentials).
 */
import {
  type CommandSpec,
  describeIssues,
  ImagedriftError,
  isDigest,
  SHA256_DIGEST,
  tryCatch,
  tryParseImageRef,
} from "@imagedrift/core";
import { z } from "zod";

const TYPES = ["pull", "prune", "remove"] as const;

const reference = z.string().superRefine((value, ctx) => {
  const parsed = tryCatch(() => tryParseImageRef(value));
  if (parsed.value == null) ctx.addIssue({ code: "custom", message: "is not a valid image reference" });
});
const digest = z.string().refine(isDigest, "must be a digest (sha256: and 64 lowercase hex digits)");
const imageId = z.string().regex(SHA256_DIGEST, "must be an image id (sha256: and 64 lowercase hex digits)");
const pattern = z.string().regex(/^\S+$/, "must be a non-empty pattern without spaces");
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 time");

const pull = z.object({
  type: z.literal("pull"),
  images: z
    .array(
      z.object({
        ref: reference,
        expectedDigest: digest.nullable(),
        auth: z
          .object({
            username: z.string().optional(),
            password: z.string().optional(),
            identityToken: z.string().optional(),
            serverAddress: z.string().min(1, "must name the registry host"),
          })
          .optional(),
      }),
    )
    .min(1, "must name at least one image"),
  dryRun: z.boolean(),
});

/** Which images a registry can give back (absent: none known, so every image stays unless allowed). */
const unrecoverableRule = {
  allowUnrecoverable: z.boolean().optional(),
  recoverable: z.array(imageId).optional(),
  unrecoverable: z.record(imageId, z.string()).optional(),
};

const prune = z.object({
  type: z.literal("prune"),
  policy: z.object({
    mode: z.enum(["dangling", "unused", "stale"]),
    include: z.array(pattern).optional(),
    exclude: z.array(pattern).optional(),
    keep: z.array(pattern).optional(),
    olderThanMs: z.number().nonnegative().optional(),
    targetUsagePercent: z.number().min(0).max(100).optional(),
  }),
  dryRun: z.boolean(),
  protect: z.array(z.union([imageId, reference], { error: "must be an image reference or an image id" })),
  lastUsed: z.record(imageId, isoTime),
  staleImageIds: z.array(imageId),
  ...unrecoverableRule,
});

const remove = z.object({
  type: z.literal("remove"),
  imageIds: z.array(imageId),
  dryRun: z.boolean(),
  ...unrecoverableRule,
});

const schemas = { pull, prune, remove } as const;

function invalid(message: string): ImagedriftError {
  return new ImagedriftError("invalid-argument", `invalid command spec: ${message}`);
}

/** Parses and validates `specJson`; throws ImagedriftError("invalid-argument") naming every problem. */
export function parseCommandSpec(specJson: string): CommandSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(specJson);
  } catch {
    // The parser's message quotes the text, which may hold credentials.
    throw invalid("not valid JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalid("must be a JSON object");
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== "string" || !(TYPES as readonly string[]).includes(type)) {
    const given = typeof type === "string" ? JSON.stringify(type) : "missing";
    throw invalid(`type: ${given} is not a command type (want ${TYPES.join(", ")})`);
  }
  const result = schemas[type as (typeof TYPES)[number]].safeParse(raw);
  if (!result.success) throw invalid(`\n${describeIssues(result.error.issues)}`);
  return result.data satisfies CommandSpec;
}
