/**
 * A private registry (htpasswd) whose credentials only the collector knows:
 * a prepull job carries them to the agent, containerd uses them, and the
 * canary password appears in no log line, database file, API response or error.
 */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Lab, startLab } from "../lab/index.js";
import { type ReportingPair, startReportingPair } from "../scenario/reporting-pair.js";
import { createJob, finishedJob } from "./jobs-api.js";

const CANARY = "canary-pw-9d41e7b3";
const TOKEN = "cred-token-2b7e";
let lab: Lab;
let dir: string;
let pair: ReportingPair;

beforeAll(async () => {
  lab = await startLab({
    nodes: ["n1"],
    registryAuth: { type: "htpasswd", users: [{ username: "puller", password: CANARY }] },
    nodeCredentials: false,
  });
  dir = await mkdtemp("/tmp/idl-cred-");
  await writeFile(join(dir, "password"), `${CANARY}\n`);
  pair = await startReportingPair({
    dir,
    lab,
    token: TOKEN,
    registries: `registries:\n  - host: ${lab.registry.host}\n    auth:\n      username: puller\n      passwordFile: ${join(dir, "password")}\n`,
    collectorArgs: ["--log-level", "debug"],
    agentArgs: ["--log-level", "debug"],
  });
});

afterAll(async () => {
  await pair?.stop();
  await lab?.stop();
});

it("credentials reach containerd through the job, and appear nowhere else", async () => {
  const ref = lab.ref("private/app:1");
  const digest = await lab.buildAndPush(ref, { salt: "private 1" });
  // The node has no credentials of its own: a plain CRI pull is refused.
  const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
  await expect(cri.pullImage(ref)).rejects.toThrow(/401|unauthorized|authorization/i);
  const { collector } = pair;
  const created = await createJob(collector.url, TOKEN, { type: "prepull", images: [ref] });
  const job = await finishedJob(collector.url, created.id);
  expect(job.state, JSON.stringify(job.nodes)).toBe("succeeded");
  expect(job.nodes[0]?.pulled?.[0]).toMatchObject({ ref, digest, verified: true });
  expect(await cri.imageStatus(ref)).not.toBeNull();
  cri.close();

  const responses = await Promise.all(
    ["/api/v1/jobs", `/api/v1/jobs/${created.id}`, "/api/v1/tags", "/api/v1/findings", "/metrics"].map(async (path) =>
      (await fetch(`${collector.url}${path}`)).text(),
    ),
  );
  const files = (await readdir(dir)).filter((f) => /\.log$|\.db/.test(f));
  expect(files.some((f) => f.endsWith(".db"))).toBe(true);
  const contents = await Promise.all(files.map(async (f) => (await readFile(join(dir, f))).toString("latin1")));
  for (const [i, text] of [...responses, ...contents].entries()) {
    expect(
      text.includes(CANARY),
      `canary found in ${i < responses.length ? "an API response" : files[i - responses.length]}`,
    ).toBe(false);
  }
});
