/**
 * The body of `POST /api/v1/jobs` (docs/ARCHITECTURE.md#rest-api), checked field by field. Every
 * problem is reported at once, each under its path (`policy.mode: required`,
 * `unknown field "imagez"`), as one invalid-argument error (HTTP 400).
 * References are normalised, and checked, by the planner.
 */
import { ImagedriftError, JOB_TYPES, type JobRequest, PRUNE_MODES } from "@imagedrift/core";
import { z } from "zod";
import { formatPath } from "../registry/registries-config.js";

export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

const strings = (what: string) =>
  z.array(z.string(`must be a list of ${what}`).min(1, "must not be empty"), `must be a list of ${what}`);

const patterns = z.array(
  z.string("must be a list of patterns").regex(/^\S+$/, "must be a non-empty pattern without spaces"),
  "must be a list of patterns",
);

const policySchema = z.strictObject({
  mode: z.enum(PRUNE_MODES, {
    error: (issue) => (issue.input === undefined ? "required" : `must be one of ${PRUNE_MODES.join(", ")}`),
  }),
  include: patterns.optional(),
  exclude: patterns.optional(),
  keep: patterns.optional(),
  olderThanMs: z.int("must be a whole number of milliseconds").min(0, "must be ≥ 0").optional(),
  targetUsagePercent: z
    .number("must be a number")
    .min(1, "must be between 1 and 99")
    .max(99, "must be between 1 and 99")
    .optional(),
});

const requestSchema = z
  .strictObject({
    type: z.enum(JOB_TYPES, {
      error: (issue) => (issue.input === undefined ? "required" : `must be one of ${JOB_TYPES.join(", ")}`),
    }),
    images: strings("image references").max(1000, "at most 1000 images").optional(),
    nodes: strings("node names").max(10_000, "at most 10000 nodes").optional(),
    nodeSelector: z.record(z.string(), z.string("label values must be strings")).optional(),
    dryRun: z.boolean("must be true or false").optional(),
    concurrency: z.int("must be a whole number").min(1, "must be ≥ 1").max(1000, "must be ≤ 1000").optional(),
    policy: policySchema.optional(),
    removeReplaced: z.boolean("must be true or false").optional(),
    allowUnrecoverable: z.boolean("must be true or false").optional(),
    timeoutMs: z
      .int("must be a whole number")
      .min(1000, "must be ≥ 1000")
      .max(MAX_TIMEOUT_MS, "must be ≤ 1 day")
      .optional(),
    retries: z.int("must be a whole number").min(0, "must be ≥ 0").max(10, "must be ≤ 10").optional(),
  })
  .superRefine((r, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (r.type === "prepull" && !r.images?.length) problem("images", "prepull needs at least one image");
    if (r.type === "prune" && r.policy === undefined) problem("policy", "prune needs a policy (at least its mode)");
    if (r.type !== "prune" && r.policy !== undefined) problem("policy", `only for prune, not ${r.type}`);
    if (r.type === "prune" && r.images !== undefined) problem("images", "not for prune: use policy.include");
    if (r.type !== "refresh" && r.removeReplaced !== undefined) problem("removeReplaced", "only for refresh");
    if (r.allowUnrecoverable !== undefined && r.type !== "prune" && r.removeReplaced !== true)
      problem("allowUnrecoverable", "only for prune, or refresh with removeReplaced");
  });

function describe(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => `unknown field ${JSON.stringify(formatPath([...issue.path, key]))}`);
    }
    const where = formatPath(issue.path);
    return [where ? `${where}: ${issue.message}` : issue.message];
  });
}

/** Checks a job request; throws ImagedriftError("invalid-argument") listing every problem. */
export function parseJobRequest(body: unknown): JobRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ImagedriftError("invalid-argument", "invalid job request: the body must be a JSON object");
  }
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success) {
    throw new ImagedriftError("invalid-argument", `invalid job request: ${describe(parsed.error).join("; ")}`);
  }
  return parsed.data;
}
