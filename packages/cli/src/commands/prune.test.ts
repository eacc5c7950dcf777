import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../cli-harness.fake.js";
import { type CannedRoute, FakeCollector } from "../collector.fake.js";
import { JOB_ID, jobRoutes, PRUNE_DRY_RUN } from "../job-fixtures.fake.js";

let fake: FakeCollector | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function serve(routes: Record<string, CannedRoute>) {
  fake = await FakeCollector.start({ routes });
  return { fake, env: { IMAGEDRIFT_SERVER: fake.url } };
}

describe("imagedrift prune", () => {
  it("POSTs the policy with its patterns, age and usage target, and the job flags", async () => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    const result = await runCli(
      [
        "prune",
        "--policy",
        "unused",
        "--include",
        "registry.example.com/**",
        "--include",
        "docker.io/**",
        "--exclude",
        "registry.example.com/ci/*",
        "--keep",
        "registry.example.com/base/**",
        "--older-than",
        "7d",
        "--target-usage-percent",
        "80",
        "--nodes",
        "worker-1",
        "--no-wait",
      ],
      { env },
    );
    expect(result).toEqual({ code: 0, stdout: `${JOB_ID}\n`, stderr: "" });
    expect(fake.requestsOf("POST")[0]?.body).toEqual({
      type: "prune",
      policy: {
        mode: "unused",
        include: ["registry.example.com/**", "docker.io/**"],
        exclude: ["registry.example.com/ci/*"],
        keep: ["registry.example.com/base/**"],
        olderThanMs: 7 * 86_400_000,
        targetUsagePercent: 80,
      },
      nodes: ["worker-1"],
    });
  });

  it("sends just the mode when that is all", async () => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    await runCli(["prune", "--policy", "dangling", "--no-wait"], { env });
    expect(fake.requestsOf("POST")[0]?.body).toEqual({ type: "prune", policy: { mode: "dangling" } });
  });

  it("--dry-run lists what would go and the bytes it would free", async () => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    const result = await runCli(["prune", "--policy", "unused", "--dry-run"], { env });
    expect(fake.requestsOf("POST")[0]?.body).toMatchObject({ dryRun: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "NODE       STATE       RESULT                                                                               WOULD RECLAIM   MESSAGE",
        "worker-1   succeeded   would remove nginx:1.25, sha256:555555555555 (579 MiB); kept 2 in use or protected         579 MiB",
        "worker-2   succeeded   -                                                                                              0 B",
        "",
        "NODE       WOULD    IMAGE        IMAGE ID                  SIZE",
        "worker-1   remove   nginx:1.25   sha256:444444444444   67.3 MiB",
        "worker-1   remove   <none>       sha256:555555555555    512 MiB",
        "",
        `job ${JOB_ID} succeeded: 2 succeeded of 2 nodes; would reclaim 579 MiB; took 11s; dry run: nothing was changed`,
        "",
      ].join("\n"),
    );
    expect(result.stderr).toContain(
      "worker-1 succeeded: would remove nginx:1.25, sha256:555555555555 (579 MiB); kept 2 in use or protected\n",
    );
  });

  it.each([
    [[], /required option '--policy <policy>' not specified/],
    [["--policy", "old"], /argument 'old' is invalid. Allowed choices are dangling, unused, stale/],
    [["--policy", "unused", "--older-than", "7"], /--older-than: invalid duration "7": missing unit/],
    [["--policy", "unused", "--older-than", "0"], /--older-than "0": must be more than 0/],
    [
      ["--policy", "unused", "--target-usage-percent", "100"],
      /--target-usage-percent "100": want a percentage from 1 to 99/,
    ],
    [["--policy", "unused", "--keep", ""], /--keep needs a value/],
  ])("exits 2 for %j, before any request", async (flags, message) => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    const result = await runCli(["prune", ...flags], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fake.requests).toEqual([]);
  });
});

describe("imagedrift prune asks before removing, on a terminal", () => {
  const answering = (answer: boolean) => {
    const questions: string[] = [];
    const confirm = async (question: string) => {
      questions.push(question);
      return answer;
    };
    return { questions, confirm };
  };

  it("runs a dry run first, shows the plan, and starts nothing when the answer is no", async () => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    const terminal = answering(false);
    const result = await runCli(["prune", "--policy", "unused"], { env, confirm: terminal.confirm });
    expect(terminal.questions).toEqual(["Remove these images?"]);
    expect(fake.requestsOf("POST").map((r) => r.body)).toEqual([
      { type: "prune", policy: { mode: "unused" }, dryRun: true },
    ]);
    expect(result.stderr).toContain("nginx:1.25");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("Nothing removed: the job was not started.\n");
  });

  it("starts the real job after a yes", async () => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    const terminal = answering(true);
    await runCli(["prune", "--policy", "unused"], { env, confirm: terminal.confirm });
    expect(fake.requestsOf("POST").map((r) => r.body)).toEqual([
      { type: "prune", policy: { mode: "unused" }, dryRun: true },
      { type: "prune", policy: { mode: "unused" } },
    ]);
  });

  it.each([
    ["--yes", ["--yes"], { type: "prune", policy: { mode: "unused" } }],
    ["a dry run", ["--dry-run"], { type: "prune", policy: { mode: "unused" }, dryRun: true }],
  ])("does not ask with %s", async (_, flags, body) => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    const terminal = answering(false);
    await runCli(["prune", "--policy", "unused", ...flags], { env, confirm: terminal.confirm });
    expect(terminal.questions).toEqual([]);
    expect(fake.requestsOf("POST").map((r) => r.body)).toEqual([body]);
  });

  it("without a terminal proceeds at once, as before", async () => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    await runCli(["prune", "--policy", "unused"], { env });
    expect(fake.requestsOf("POST").map((r) => r.body)).toEqual([{ type: "prune", policy: { mode: "unused" } }]);
  });

  it("sends allowUnrecoverable only with --allow-unrecoverable", async () => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    await runCli(["prune", "--policy", "unused", "--allow-unrecoverable", "--no-wait"], { env });
    expect(fake.requestsOf("POST")[0]?.body).toEqual({
      type: "prune",
      policy: { mode: "unused" },
      allowUnrecoverable: true,
    });
  });

  it("refresh --remove-replaced asks the same way; a refresh without it never asks", async () => {
    const { fake, env } = await serve(jobRoutes([PRUNE_DRY_RUN]));
    const terminal = answering(false);
    const asked = await runCli(["refresh", "--remove-replaced"], { env, confirm: terminal.confirm });
    expect(asked.code).toBe(1);
    await runCli(["refresh"], { env, confirm: terminal.confirm });
    expect(terminal.questions).toHaveLength(1);
    expect(fake.requestsOf("POST").map((r) => r.body)).toEqual([
      { type: "refresh", removeReplaced: true, dryRun: true },
      { type: "refresh" },
    ]);
  });
});
