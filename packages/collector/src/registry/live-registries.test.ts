import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@imagedrift/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeServer, manifestBody, manifestReply, startFakeServer } from "./fake-registry.fake.js";
import { LiveRegistries } from "./live-registries.js";
import { TagResolver } from "./resolver.js";

const manifest = manifestBody("rotate");
let dir: string;
let registry: FakeServer;
let live: LiveRegistries | undefined;
let password = "first-password";

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "imagedrift-live-"));
  password = "first-password";
  registry = await startFakeServer((r) =>
    r.headers.authorization === `Basic ${Buffer.from(`robot:${password}`).toString("base64")}`
      ? manifestReply(manifest)
      : { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } },
  );
});
afterEach(async () => {
  live?.stop();
  live = undefined;
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

/** A Kubernetes Secret volume: `..data` → a timestamped folder, the file a symlink through `..data`. */
async function secretVolume(content: string): Promise<string> {
  const volume = join(dir, "secret");
  await mkdir(join(volume, "..v1"), { recursive: true });
  await writeFile(join(volume, "..v1", "password"), content);
  await symlink("..v1", join(volume, "..data"));
  await symlink("..data/password", join(volume, "password"));
  return join(volume, "password");
}

/** What kubelet does on a Secret update: a new folder, then an atomic rename of a new `..data` link. */
async function updateSecret(content: string, version: string): Promise<void> {
  const volume = join(dir, "secret");
  await mkdir(join(volume, version));
  await writeFile(join(volume, version, "password"), content);
  await symlink(version, join(volume, "..data_tmp"));
  await rename(join(volume, "..data_tmp"), join(volume, "..data"));
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function logger() {
  const lines: string[] = [];
  return { log: createLogger({ write: (line) => lines.push(line), level: "debug" }), lines };
}

describe("LiveRegistries", () => {
  it("picks up a rotated password file (a Secret volume's ..data swap) under a running resolver, without a restart", async () => {
    const passwordFile = await secretVolume("first-password\n");
    const config = join(dir, "registries.yaml");
    await writeFile(
      config,
      `registries:\n  - host: "${registry.host}"\n    auth: {username: robot, passwordFile: ${passwordFile}}\n`,
    );
    const { log, lines } = logger();
    live = await LiveRegistries.load({ path: config, readFile: (p) => readFile(p, "utf8"), log, pollMs: 60_000 });
    live.start();
    const resolver = new TagResolver({ registries: live, resolveIntervalMs: 60_000 });
    const tag = `${registry.host}/team/app:1`;
    expect(await resolver.askNow(tag)).toMatchObject({ state: "found" });

    password = "second-password"; // the registry now wants the new one
    expect(await resolver.askNow(tag)).toMatchObject({ state: "error" });
    await updateSecret("second-password\n", "..v2");
    const after = await until(
      () => resolver.askNow(tag),
      (r) => r.state === "found",
    );
    expect(after).toMatchObject({ state: "found", digest: manifest.digest });
    expect(lines.some((l) => l.includes("registries config reloaded"))).toBe(true);
    expect(lines.join("")).not.toContain("second-password");
  });

  it("refuses a broken new file with one clear log line and keeps the last good one", async () => {
    await writeFile(join(dir, "pw"), "first-password");
    const config = join(dir, "registries.yaml");
    await writeFile(
      config,
      `registries:\n  - host: "${registry.host}"\n    auth: {username: robot, passwordFile: pw}\n`,
    );
    const { log, lines } = logger();
    live = await LiveRegistries.load({ path: config, readFile: (p) => readFile(p, "utf8"), log });
    await writeFile(
      config,
      `registries:\n  - host: "${registry.host}"\n    auth: {username: robot, passwordFile: missing}\n`,
    );
    expect(await live.check()).toBe("refused");
    expect(await live.check()).toBe("unchanged"); // the same broken bytes: not logged again
    const refusals = lines.filter((l) => l.includes("invalid; the last good one stays in force"));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain("registries[0].auth.passwordFile: file not found");
    const tag = `${registry.host}/team/app:1`;
    expect(await new TagResolver({ registries: live, resolveIntervalMs: 1 }).askNow(tag)).toMatchObject({
      state: "found",
    });

    await writeFile(config, `registries: []\n`);
    expect(await live.check()).toBe("reloaded");
    expect(live.hosts.size).toBe(0);
  });

  it("polls when no file event arrives", async () => {
    await writeFile(join(dir, "pw"), "first-password");
    const config = join(dir, "registries.yaml");
    await writeFile(
      config,
      `registries:\n  - host: "${registry.host}"\n    auth: {username: robot, passwordFile: pw}\n`,
    );
    const options = { path: config, readFile: (p: string) => readFile(p, "utf8"), pollMs: 100, watch: false };
    live = await LiveRegistries.load(options);
    live.start();
    password = "second-password";
    await writeFile(join(dir, "pw"), "second-password");
    const tag = `${registry.host}/team/app:1`;
    const resolver = new TagResolver({ registries: live, resolveIntervalMs: 1 });
    expect(
      await until(
        () => resolver.askNow(tag),
        (r) => r.state === "found",
      ),
    ).toMatchObject({ state: "found" });
  });
});
