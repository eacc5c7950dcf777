/**
 * The built CLI writing into a pipe its reader closed early (`imagedrift
 * --help | head -1`): it ends quietly with the command's own exit status,
 * never with Node's "Unhandled 'error' event". Spawns bin/imagedrift.js, so
 * it needs `npm run build` first.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TagView } from "@imagedrift/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NGINX, TAGS } from "./api-fixtures.fake.js";
import { FakeCollector } from "./collector.fake.js";

const BIN = fileURLToPath(new URL("../bin/imagedrift.js", import.meta.url));

/** Runs the CLI, reads its first line of stdout, then closes the pipe, as `head -1` does. */
function firstLineThenClose(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ line: string; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let line: string | null = null;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (line === null && out.includes("\n")) {
        line = out.slice(0, out.indexOf("\n"));
        child.stdout.destroy();
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ line: line ?? out, code, stderr }));
  });
}

/** Enough tags that the output fills the pipe's buffer (64 KiB) before the reader is gone. */
const MANY: TagView[] = Array.from({ length: 3000 }, (_, i) => ({
  ...(TAGS[0] as TagView),
  reference: `${NGINX.replace(":1.27", "")}:1.${i}`,
}));

let fake: FakeCollector;
beforeAll(async () => {
  fake = await FakeCollector.start({ routes: { "/api/v1/tags": { body: { items: MANY } } } });
});
afterAll(() => fake.close());

describe("a closed stdout", () => {
  it.each([[["--help"]], [["lint", "--help"]], [["verify", "--help"]]])(
    "%j | head -1 ends quietly with exit 0",
    async (args) => {
      for (let i = 0; i < 3; i++) {
        const result = await firstLineThenClose(args);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.line).not.toBe("");
      }
    },
  );

  it("tags -o json | head -1 ends quietly with exit 0, however long the output", async () => {
    const result = await firstLineThenClose(["tags", "-o", "json"], { IMAGEDRIFT_SERVER: fake.url });
    expect(result).toEqual({ line: "[", code: 0, stderr: "" });
  });
});
