/**
 * Canary passwords for a private registry (htpasswd, on a real containerd
 * node without credentials of its own) appear nowhere they should not:
 * a registry credential from the registries file (username + passwordFile),
 * a pull secret (dockerConfigJson), and a WRONG password whose failed pull
 * must name the registry host and repository instead; then the cluster's pull
 * secrets (`--kubernetes-pull-secrets`, Secrets served by the FAKE Kubernetes
 * API), a right one and a wrong one. The collector runs four times on one
 * database, once per credential source; then every log line
 * (collector and agent at debug), every row of every SQLite table, the raw
 * database, WAL and SHM files, every REST endpoint's body and error, and the
 * CLI's output for a failing job are searched for each canary, in clear and
 * in the base64 forms Basic auth and docker config files use.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Job } from "@imagedrift/core";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKubeApi, type KubeObject } from "../../packages/collector/src/kubernetes/fake-kube-api.fake.js";
import { nodeObject, podObject } from "../../packages/collector/src/kubernetes/kube-objects.fake.js";
import { waitForReporting } from "../collector/api.js";
import { createJob, finishedJob } from "../jobs/jobs-api.js";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, CLI_BIN, type Collector, type Ports, startCollector } from "../scenario/processes.js";
import { startLabAgent } from "../scenario/reporting-pair.js";

const TOKEN = "secrets-token-6e1b";
const users = {
  file: { username: "puller", password: "canary-file-pw-3a7f19" },
  secret: { username: "puller2", password: "canary-secret-pw-c0d2e8" },
  cluster: { username: "puller3", password: "canary-cluster-pw-5a90d1" },
};
const WRONG = "canary-wrong-pw-77b1f4";
const WRONG_CLUSTER = "canary-wrong-cluster-pw-e4b613";
const b64 = (text: string) => Buffer.from(text).toString("base64");
/** Every form a leaked canary could take: clear, base64 alone, and base64 of user:password (Basic auth, docker auths). */
const CANARIES = [
  ...[users.file, users.secret, users.cluster].flatMap(({ username, password }) => [
    password,
    b64(password),
    b64(`${username}:${password}`),
  ]),
  WRONG,
  b64(WRONG),
  b64(`${users.file.username}:${WRONG}`),
  WRONG_CLUSTER,
  b64(WRONG_CLUSTER),
  b64(`${users.cluster.username}:${WRONG_CLUSTER}`),
];

let lab: Lab;
let dir: string;
let collector: Collector;
let agent: Agent;
let ports: Ports;
let kubeApi: FakeKubeApi | undefined;
const jobs: Record<string, Job> = {};
const cliOutputs: { what: string; text: string }[] = [];

const cli = (...args: string[]) => {
  const run = spawnSync(process.execPath, [CLI_BIN, "--server", collector.url, "--token", TOKEN, ...args], {
    encoding: "utf8",
    timeout: 90_000,
  });
  cliOutputs.push({ what: `imagedrift ${args.join(" ")}`, text: `${run.stdout}\n${run.stderr}` });
  return run;
};

/** Writes the registries file for this run's credential and (re)starts the collector on the same db and ports. */
async function collectorWith(auth: string | null, kubeconfig?: string): Promise<void> {
  await collector?.stop();
  const entry = `registries:\n  - host: ${lab.registry.host}\n${auth === null ? "" : `    auth:\n${auth}`}`;
  await writeFile(join(dir, "registries.yaml"), entry);
  const cluster = kubeconfig === undefined ? [] : ["--kubernetes", "on", "--kubernetes-pull-secrets"];
  collector = await startCollector({
    dir,
    token: TOKEN,
    ...ports,
    ...(kubeconfig === undefined ? {} : { env: { ...process.env, KUBECONFIG: kubeconfig } }),
    extraArgs: [
      "--registries-config",
      join(dir, "registries.yaml"),
      "--log-level",
      "debug",
      "--rate-limit",
      "off",
      ...cluster,
    ],
  });
  ports = collector.ports;
  if (!agent) return;
  await waitFor(
    async () => {
      const res = await fetch(`${collector.url}/api/v1/nodes`);
      const items = ((await res.json()) as { items: { name: string; connected: boolean; imageCount: number }[] }).items;
      return items.some((n) => n.name === "n1" && n.connected && n.imageCount > 0);
    },
    { what: "n1 connected to this collector", timeoutMs: 30_000 },
  );
}

async function prepull(ref: string): Promise<Job> {
  const created = await createJob(collector.url, TOKEN, { type: "prepull", images: [ref], retries: 0 });
  return finishedJob(collector.url, created.id);
}

beforeAll(async () => {
  lab = await startLab({
    nodes: ["n1"],
    registryAuth: { type: "htpasswd", users: [users.file, users.secret, users.cluster] },
    nodeCredentials: false,
  });
  dir = await mkdtemp("/tmp/idl-sec-");
  ports = { httpPort: 0, grpcPort: 0 };
  await writeFile(join(dir, "password"), `${users.file.password}\n`);
  await writeFile(join(dir, "wrong-password"), `${WRONG}\n`);
  await writeFile(
    join(dir, "pull-secret.json"),
    JSON.stringify({
      auths: { [lab.registry.host]: { auth: b64(`${users.secret.username}:${users.secret.password}`) } },
    }),
  );
  for (const tag of ["1", "2", "3", "4"]) await lab.buildAndPush(`private/app:${tag}`, { salt: `private ${tag}` });
  // Another repository: pull secrets are picked per repository (the pods using it).
  await lab.buildAndPush("stale/app:1", { salt: "stale 1" });
  await collectorWith(`      username: ${users.file.username}\n      passwordFile: ${join(dir, "password")}\n`);
  agent = await startLabAgent({ dir, lab, collector, extraArgs: ["--log-level", "debug"] });
  await waitForReporting(collector.url, "n1");
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await collector?.stop();
  await kubeApi?.close();
  await lab?.stop();
});

/** A dockerconfigjson Secret for the lab registry, and a pod on n1 in `namespace` naming it, using `image`. */
function clusterPullSecret(api: FakeKubeApi, namespace: string, password: string, image: string): void {
  const auths = { [lab.registry.host]: { auth: b64(`${users.cluster.username}:${password}`) } };
  const secret: KubeObject = {
    metadata: { name: "regcred", namespace },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": b64(JSON.stringify({ auths })) },
  };
  api.put("secrets", secret);
  const pod = podObject({ namespace, name: "app-1", node: "n1", containers: [{ image }] });
  (pod.spec as Record<string, unknown>).imagePullSecrets = [{ name: "regcred" }];
  api.put("pods", pod);
}

describe("credentials travel to the pulling agent only", () => {
  it("a registry credential from the registries file (passwordFile) pulls", async () => {
    const job = await prepull(lab.ref("private/app:1"));
    expect(job.state, JSON.stringify(job.nodes)).toBe("succeeded");
    expect(job.nodes[0]?.pulled?.[0]).toMatchObject({ verified: true });
    jobs.file = job;
  });

  it("a pull secret (dockerConfigJson) pulls", async () => {
    await collectorWith(`      dockerConfigJson: ${join(dir, "pull-secret.json")}\n`);
    const job = await prepull(lab.ref("private/app:2"));
    expect(job.state, JSON.stringify(job.nodes)).toBe("succeeded");
    jobs.secret = job;
  });

  it("a WRONG password fails naming the registry host and the repository, never the password", async () => {
    await collectorWith(`      username: ${users.file.username}\n      passwordFile: ${join(dir, "wrong-password")}\n`);
    const ref = lab.ref("private/app:3");
    const job = await prepull(ref);
    expect(job.state, JSON.stringify(job)).toBe("failed");
    const message = job.nodes[0]?.message ?? "";
    expect(message).toContain(lab.registry.host);
    expect(message).toContain("private/app");
    expect(message).toMatch(/401|unauthorized|authorization/i);
    jobs.wrong = job;
    // The CLI, following a job that fails: exit 1, and its output names the reference.
    const run = cli("prepull", ref, "--retries", "0");
    expect(run.status, run.stderr).toBe(1);
    expect(`${run.stdout}${run.stderr}`).toContain("private/app");
    // The resolver meets the wrong password too, re-resolving the tags n1 holds: its error names the registry.
    const held = lab.ref("private/app:1");
    const resolveError = await waitFor(
      async () => {
        const tags = (await (await fetch(`${collector.url}/api/v1/tags`)).json()) as {
          items: { reference: string; resolveError: string | null }[];
        };
        return tags.items.find((t) => t.reference === held)?.resolveError ?? undefined;
      },
      { what: `a resolve error for ${held}`, timeoutMs: 20_000 },
    );
    expect(resolveError).toContain(lab.registry.host);
    console.log(
      `wrong password: the job says ${JSON.stringify(message)}; the resolver says ${JSON.stringify(resolveError)}`,
    );
  });

  it("the cluster's pull secrets (--kubernetes-pull-secrets): a right one pulls, a wrong one fails naming the Secret", async () => {
    kubeApi = await FakeKubeApi.start();
    kubeApi.put("nodes", nodeObject("n1"));
    clusterPullSecret(kubeApi, "shop", users.cluster.password, lab.ref("private/app:4"));
    clusterPullSecret(kubeApi, "stale", WRONG_CLUSTER, lab.ref("stale/app:1"));
    await collectorWith(null, await kubeApi.writeKubeconfig(dir));
    const job = await prepull(lab.ref("private/app:4"));
    expect(job.state, JSON.stringify(job.nodes)).toBe("succeeded");
    jobs.cluster = job;
    const wrong = await prepull(lab.ref("stale/app:1"));
    expect(wrong.state, JSON.stringify(wrong)).toBe("failed");
    expect(wrong.nodes[0]?.message).toContain("the credentials of pull secret stale/regcred were not accepted");
    jobs.clusterWrong = wrong;
    expect(cli("prepull", lab.ref("stale/app:1"), "--retries", "0").status).toBe(1);
  });
});

describe("no canary anywhere", () => {
  const expectClean = (where: string, text: string) => {
    for (const canary of CANARIES)
      expect(text.includes(canary), `a canary (${canary.slice(0, 12)}…) in ${where}`).toBe(false);
  };

  it("in any REST response: every endpoint, every job, errors included", async () => {
    const paths = [
      "/api/v1/nodes",
      "/api/v1/nodes/n1/images",
      "/api/v1/tags",
      "/api/v1/findings",
      "/api/v1/jobs",
      ...Object.values(jobs).map((j) => `/api/v1/jobs/${j.id}`),
      "/api/v1/jobs/nope",
      "/api/v1/registries",
      "/openapi.json",
      "/metrics",
      "/healthz",
      "/readyz",
      "/",
    ];
    for (const path of paths) expectClean(`GET ${path}`, await (await fetch(`${collector.url}${path}`)).text());
    const refused = await fetch(`${collector.url}/api/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "prepull", images: [lab.ref("private/App:9")] }),
    });
    expect(refused.status).toBe(400);
    expectClean("a refused POST", await refused.text());
  });

  it("in the CLI's output, the failing job's included", () => {
    cli("jobs", "-o", "json");
    cli("job", jobs.wrong?.id ?? "");
    cli("tags", "-o", "json");
    cli("findings");
    expect(cliOutputs.length).toBeGreaterThanOrEqual(5);
    for (const { what, text } of cliOutputs) expectClean(what, text);
  });

  it("in any row of any SQLite table", () => {
    const db = new BetterSqlite3(collector.db, { readonly: true, fileMustExist: true });
    try {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all() as string[];
      expect(tables).toEqual(expect.arrayContaining(["jobs", "job_nodes", "audit_log", "tags", "nodes"]));
      for (const table of tables) {
        const rows = JSON.stringify(db.prepare(`SELECT * FROM "${table}"`).all());
        expectClean(`table ${table}`, rows);
      }
      // The jobs and their failures are there to search: the scan is not vacuous.
      const messages = db.prepare("SELECT message FROM job_nodes").pluck().all() as string[];
      expect(messages.join("\n")).toContain("private/app");
    } finally {
      db.close();
    }
  });

  it("in the raw database, WAL and SHM files, and every log line (collector and agent at debug)", async () => {
    await agent.stop();
    await collector.stop();
    const files = (await readdir(dir)).filter((f) => /\.log$|\.db(-wal|-shm)?$/.test(f));
    expect(files).toEqual(expect.arrayContaining(["collector.log", "agent-n1.log", "imagedrift.db"]));
    for (const file of files) {
      const text = (await readFile(join(dir, file))).toString("latin1");
      expectClean(file, text);
    }
    // The search finds what it looks for: the canaries are in the files that hold them on purpose.
    expect(await readFile(join(dir, "pull-secret.json"), "utf8")).toContain(
      b64(`${users.secret.username}:${users.secret.password}`),
    );
    expect(await readFile(join(dir, "password"), "utf8")).toContain(users.file.password);
    const collectorLog = await readFile(join(dir, "collector.log"), "utf8");
    expect(collectorLog).toContain('"level":"debug"');
    expect(await readFile(join(dir, "agent-n1.log"), "utf8")).toContain('"level":"debug"');
  });
});
