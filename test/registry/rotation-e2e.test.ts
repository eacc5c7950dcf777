/**
 * Credentials that rotate under a running, BUILT collector: its registries
 * file names a password file in a Kubernetes-Secret-like folder (the file is a
 * symlink through `..data`, swapped by an atomic rename as the kubelet does).
 * The real docker-registry's token server accepts password A, then only B;
 * the collector picks B up without a restart and a prepull through a real
 * agent succeeds with it; a broken new version (an empty password file) is
 * refused with one log line and B stays in force.
 */
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createJob, finishedJob } from "../jobs/jobs-api.js";
import { buildOciImage, type Lab, pushImage, type Registry, startLab, startRegistry } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type ReportingPair, startReportingPair } from "../scenario/reporting-pair.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

const TOKEN = "rotation-token-3e8";
const A = "rotation-pw-A-4c1f";
const B = "rotation-pw-B-9d27";
let dir: string;
let secret: string;
let lab: Lab;
let tokens: TokenServer;
let registry: Registry;
let pair: ReportingPair;
/** Whom the token server accepts; changed in place to rotate. */
const users = [{ username: "robot", password: A }];
let version = 0;

/** Writes `password` as a new version of the secret folder and swaps `..data` to it atomically. */
async function secretVersion(password: string): Promise<void> {
  const name = `..v${++version}`;
  await mkdir(join(secret, name));
  await writeFile(join(secret, name, "password"), password, { mode: 0o600 });
  await symlink(name, join(secret, "..data_tmp"));
  await rename(join(secret, "..data_tmp"), join(secret, "..data"));
}

const log = () => readFile(join(dir, "collector.log"), "utf8");
const count = (text: string, what: string) => text.split("\n").filter((l) => l.includes(what)).length;

async function prepull(repoTag: string) {
  const created = await createJob(pair.collector.url, TOKEN, {
    type: "prepull",
    images: [`${registry.host}/${repoTag}`],
  });
  return finishedJob(pair.collector.url, created.id);
}

beforeAll(async () => {
  dir = await mkdtemp("/tmp/idl-rotate-");
  secret = join(dir, "secret");
  await mkdir(secret);
  lab = await startLab({ nodes: ["n1"], nodeCredentials: false });
  tokens = await startTokenServer({ dir, users });
  registry = await startRegistry({ dir: join(dir, "registry"), auth: tokens.registryAuth() });
  for (const repoTag of ["rot/app:1", "rot/app:2", "rot/app:3"]) {
    const image = await buildOciImage({ parentDir: dir, salt: repoTag });
    await pushImage({
      image,
      destination: `${registry.host}/${repoTag}`,
      credentials: { username: "robot", password: A },
    });
  }
  await secretVersion(A);
  await symlink("..data/password", join(secret, "password"));
  pair = await startReportingPair({
    dir,
    lab,
    token: TOKEN,
    registries: `registries:\n  - host: "${registry.host}"\n    auth: {username: robot, passwordFile: ${join(secret, "password")}}\n`,
    collectorArgs: ["--log-level", "debug"],
  });
}, 120_000);

afterAll(async () => {
  await pair?.stop();
  await registry?.stop();
  await tokens?.close();
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

it("a Secret update of the password is picked up without a restart; a broken one is refused and the last good stays", async () => {
  expect((await prepull("rot/app:1")).state).toBe("succeeded");

  // The registry now takes only B; the Secret is updated to B.
  users[0] = { username: "robot", password: B };
  const reloads = count(await log(), "registries config reloaded");
  await secretVersion(B);
  await waitFor(async () => count(await log(), "registries config reloaded") > reloads, {
    what: "the collector reloading its registries config",
  });
  const before = tokens.requests.length;
  const job = await prepull("rot/app:2");
  expect(job.state, JSON.stringify(job.nodes)).toBe("succeeded");
  const basic = `Basic ${Buffer.from(`robot:${B}`).toString("base64")}`;
  expect(tokens.requests.slice(before).some((r) => r.authorization === basic && r.user === "robot")).toBe(true);

  // A broken version: refused with one clear line, B stays in force.
  await secretVersion("");
  const refused = await waitFor(
    async () => (await log()).split("\n").find((l) => l.includes("registries config changed but is invalid")),
    { what: "the collector refusing the broken version" },
  );
  expect(refused).toContain("the last good one stays in force");
  expect(refused).toMatch(/registries\[0\]\.auth\.passwordFile: the file is empty/);
  expect((await prepull("rot/app:3")).state).toBe("succeeded");
  const all = await log();
  expect(all).not.toContain(A);
  expect(all).not.toContain(B);
});
