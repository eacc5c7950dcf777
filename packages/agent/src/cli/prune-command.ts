/**
 * `imagedrift-agent prune`: remove images from this node by policy, with the
 * safety rules of a prune job (docs/ARCHITECTURE.md#prunes-safety-rules). Two policy options need what only the
 * collector knows and are refused here: `--policy stale` (the registry's view
 * of each tag) and `--older-than` (its history of when each image was last
 * used; a node keeps none). Without that history, `--target-usage-percent`
 * removes the biggest images first.
 *
 * A node alone does not ask registries, so it cannot tell whether a registry
 * could give an image back: every image counts as a possible only copy and
 * stays (reason "maybe the only copy", or "only copy" for one with no repo
 * digest) unless `--allow-unrecoverable`. Through the collector, a job knows.
 */
import { type CommandSpec, ImagedriftError, type PrunePolicy } from "@imagedrift/core";
import { type Command, Option } from "commander";
import { collect, durationFlag, type OneShotTargetFactory, runOneShot, timeoutOption } from "./one-shot.js";

interface PruneOptions {
  policy: PrunePolicy["mode"];
  include: string[];
  exclude: string[];
  keep: string[];
  protect: string[];
  olderThan?: string;
  targetUsagePercent?: string;
  dryRun?: boolean;
  allowUnrecoverable?: boolean;
  timeout: string;
}

const AS_A_JOB = "run the prune as a job through the collector (imagedrift prune …)";

function percent(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new ImagedriftError(
      "invalid-argument",
      `--target-usage-percent: ${JSON.stringify(value)} is not a number from 0 to 100`,
    );
  }
  return n;
}

/** The policy the flags describe; throws invalid-argument for what a node alone cannot honour. */
export function pruneFlagsPolicy(options: PruneOptions): PrunePolicy {
  if (options.policy === "stale") {
    throw new ImagedriftError(
      "invalid-argument",
      `--policy stale needs to know which tags moved away in the registry, which only the collector resolves: ${AS_A_JOB}`,
    );
  }
  if (options.olderThan !== undefined) {
    durationFlag("--older-than", options.olderThan);
    throw new ImagedriftError(
      "invalid-argument",
      `--older-than needs the collector's history of when each image was last used; a node keeps none: ${AS_A_JOB}`,
    );
  }
  return {
    mode: options.policy,
    ...(options.include.length > 0 ? { include: options.include } : {}),
    ...(options.exclude.length > 0 ? { exclude: options.exclude } : {}),
    ...(options.keep.length > 0 ? { keep: options.keep } : {}),
    ...(options.targetUsagePercent === undefined ? {} : { targetUsagePercent: percent(options.targetUsagePercent) }),
  };
}

export function addPruneCommand(program: Command, target: OneShotTargetFactory): void {
  program
    .command("prune")
    .description(
      "remove images from this node by policy and print what was removed as JSON. Never removes an image a container uses (any state), a pinned image, the sandbox (pause) image, or anything --keep or --protect names; each image is checked again right before its removal. This command asks no registry, so without --allow-unrecoverable it keeps every image as a possible only copy (a prune job through the collector knows which images a registry serves). Exit 1 if a removal failed",
    )
    .addOption(
      new Option(
        "--policy <mode>",
        "dangling: images with no tag; unused: images no container uses; stale: needs the collector",
      )
        .choices(["dangling", "unused", "stale"])
        .default("dangling"),
    )
    .addOption(
      new Option(
        "--include <pattern>",
        "only images matching (glob over references: * within a segment, ** across; repeatable)",
      )
        .argParser(collect)
        .default([]),
    )
    .addOption(new Option("--exclude <pattern>", "not images matching (repeatable)").argParser(collect).default([]))
    .addOption(
      new Option("--keep <pattern>", "never remove images matching (repeatable)").argParser(collect).default([]),
    )
    .addOption(
      new Option("--protect <ref>", "never remove the image this reference or image id names (repeatable)")
        .argParser(collect)
        .default([]),
    )
    .addOption(new Option("--older-than <duration>", "needs the collector's history: refused here"))
    .addOption(
      new Option(
        "--target-usage-percent <n>",
        "remove (biggest first) only until image filesystem usage is below n% of its size",
      ),
    )
    .addOption(new Option("--dry-run", "show what would be removed and the bytes; remove nothing"))
    .addOption(
      new Option(
        "--allow-unrecoverable",
        "also remove images no registry is known to give back (here: any image, since no registry is asked)",
      ),
    )
    .addOption(timeoutOption())
    .action(async (options: PruneOptions, command: Command) => {
      const policy = pruneFlagsPolicy(options);
      const timeout = durationFlag("--timeout", options.timeout);
      const local = await target(command);
      const spec: CommandSpec = {
        type: "prune",
        policy,
        dryRun: options.dryRun === true,
        protect: options.protect,
        lastUsed: {},
        staleImageIds: [],
        allowUnrecoverable: options.allowUnrecoverable === true,
      };
      try {
        process.exitCode = await runOneShot(local, spec, timeout);
      } finally {
        local.cri.close();
      }
    });
}
