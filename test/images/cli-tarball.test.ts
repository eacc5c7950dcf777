/**
 * The imagedrift CLI as an npm tarball: `npm pack` of packages/cli, installed
 * with `npm i -g` into an empty prefix, far from the repository, runs. Its
 * dependencies come from its own package.json (the npm registry), never from
 * the workspace's hoisted node_modules.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoPath } from "../deploy/manifests.js";
import { exec } from "../lab/exec.js";

const CLI = repoPath("packages/cli");

/** The environment without what an enclosing `npm run`/`npm test` exports (workspace, prefix, …). */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return { ...env, ...extra };
}

/** Bare module specifiers a bundle imports (`node:` builtins left out). */
const bareImports = (code: string): string[] =>
  [...new Set([...code.matchAll(/^import\s[^;]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/gm)].map((m) => m[1] ?? m[2]))]
    .filter((name): name is string => name !== undefined && !name.startsWith("node:") && !name.startsWith("."))
    .sort();

describe("the imagedrift CLI as an npm tarball", () => {
  let dir: string;
  let tarball: string;
  let prefix: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "imagedrift-cli-tarball-"));
    prefix = join(dir, "prefix");
    env = cleanEnv({ npm_config_prefix: prefix, npm_config_update_notifier: "false" });
    const { stdout } = await exec("npm", ["pack", "--json", "--pack-destination", dir, CLI], { env });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    tarball = join(dir, packed?.filename ?? "");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is named imagedrift-*.tgz and holds the bundled command, no sources and no workspace dependency", async () => {
    expect(tarball).toMatch(/\/imagedrift-[^/]*\.tgz$/);
    const files = (await exec("tar", ["-tzf", tarball])).stdout.trim().split("\n").sort();
    expect(files).toEqual(
      [
        "package/README.md",
        "package/bin/imagedrift.js",
        "package/dist/imagedrift.js",
        "package/dist/imagedrift.js.map",
        "package/package.json",
      ].sort(),
    );
    const pkg = JSON.parse((await exec("tar", ["-xzOf", tarball, "package/package.json"])).stdout) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies).filter((name) => name.startsWith("@imagedrift/"))).toEqual([]);
    // Every package the bundle imports is declared, and every declared one is used.
    const bundle = (await exec("tar", ["-xzOf", tarball, "package/dist/imagedrift.js"])).stdout;
    expect(bareImports(bundle)).toEqual(Object.keys(pkg.dependencies).sort());
  });

  it("installs with npm i -g in an empty directory and runs imagedrift --help", async () => {
    const empty = join(dir, "empty");
    await exec("mkdir", ["-p", empty]);
    await exec("sh", ["-c", 'cd "$1" && npm i -g --no-audit --no-fund "$2"', "sh", empty, tarball], {
      env,
      timeoutMs: 180_000,
    });
    const bin = join(prefix, "bin", "imagedrift");
    expect(existsSync(bin)).toBe(true);
    const installed = join(prefix, "lib", "node_modules", "@imagedrift", "cli");
    expect(readdirSync(join(installed, "node_modules")).sort()).toEqual(
      expect.arrayContaining(["cli-progress", "commander", "yaml"]),
    );
    const { stdout } = await exec("sh", ["-c", 'cd "$1" && "$2" --help', "sh", empty, bin], { env });
    expect(stdout).toContain("Usage: imagedrift");
    const version = (await exec(bin, ["--version"], { env })).stdout.trim();
    expect(version).toBe((JSON.parse(readFileSync(join(CLI, "package.json"), "utf8")) as { version: string }).version);
  });
});
