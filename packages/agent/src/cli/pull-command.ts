/** `imagedrift-agent pull REF... [--expect-digest D] [--dry-run]`: pull onto this node and verify. */
import { ImagedriftError, isDigest, normalizeImageRef } from "@imagedrift/core";
import { type Command, Option } from "commander";
import { durationFlag, type OneShotTargetFactory, runOneShot, timeoutOption } from "./one-shot.js";

interface PullOptions {
  expectDigest?: string;
  dryRun?: boolean;
  timeout: string;
}

export function addPullCommand(program: Command, target: OneShotTargetFactory): void {
  program
    .command("pull")
    .description(
      "pull images onto this node and print what was pulled as JSON; with --expect-digest, verify the registry served that digest (an image already held at it is not pulled again). Exit 1 if any pull failed or did not verify",
    )
    .argument("<ref...>", "image references, e.g. registry.example.com/app:1.4")
    .addOption(new Option("--expect-digest <digest>", "the digest the tag must resolve to (one REF only)"))
    .addOption(new Option("--dry-run", "report what would be pulled; pull nothing"))
    .addOption(timeoutOption())
    .action(async (refs: string[], options: PullOptions, command: Command) => {
      const expected = options.expectDigest ?? null;
      if (expected !== null && refs.length !== 1) {
        throw new ImagedriftError("invalid-argument", "--expect-digest applies to one REF only");
      }
      if (expected !== null && !isDigest(expected)) {
        throw new ImagedriftError(
          "invalid-argument",
          `--expect-digest: ${JSON.stringify(expected)} is not a digest (sha256:<64 hex>)`,
        );
      }
      const images = refs.map((ref) => ({ ref: normalizeImageRef(ref), expectedDigest: expected }));
      const timeout = durationFlag("--timeout", options.timeout);
      const { cri, node } = await target(command);
      try {
        process.exitCode = await runOneShot(
          { cri, node },
          { type: "pull", images, dryRun: options.dryRun === true },
          timeout,
        );
      } finally {
        cri.close();
      }
    });
}
