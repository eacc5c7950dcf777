/** Following a job, whichever command started it: poll errors, Ctrl-C, the terminal's progress bar. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeInterrupt, runCli } from "../cli-harness.fake.js";
import { type CannedResponse, type CannedRoute, errorBody, FakeCollector } from "../collector.fake.js";
import { JOB_ID, JOB_PATH, jobRoutes, PARTIAL_PREPULL, SUCCEEDED_PREPULL, WEB } from "../job-fixtures.fake.js";

let fake: FakeCollector | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function serve(routes: Record<string, CannedRoute>) {
  fake = await FakeCollector.start({ routes });
  return { fake, env: { IMAGEDRIFT_SERVER: fake.url } };
}

const RUNNING: CannedResponse = { body: SUCCEEDED_PREPULL[0] };
const DONE: CannedResponse = { body: SUCCEEDED_PREPULL[1] };
const DROPPED: CannedResponse = { body: null, destroy: true };

describe("following a job", () => {
  it("polls again after a few failed polls and carries on", async () => {
    const { fake, env } = await serve({
      ...jobRoutes([]),
      [JOB_PATH]: [RUNNING, DROPPED, { status: 503, body: errorBody("unavailable", "restarting") }, DROPPED, DONE],
    });
    const result = await runCli(["prepull", WEB], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`job ${JOB_ID} succeeded`);
    expect(fake.requestsOf("GET", JOB_PATH)).toHaveLength(5);
  });

  it("exits 3 after five failed polls in a row, saying how to pick the job up again", async () => {
    const { fake, env } = await serve({ ...jobRoutes([]), [JOB_PATH]: [RUNNING, DROPPED] });
    const result = await runCli(["prepull", WEB], { env });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/imagedrift: cannot reach the collector at http:\/\/127\.0\.0\.1:\d+: /);
    expect(result.stderr).toContain(
      `(5 polls of job ${JOB_ID} failed in a row; the job goes on in the collector: imagedrift job ${JOB_ID} --follow)`,
    );
    expect(fake.requestsOf("GET", JOB_PATH)).toHaveLength(6);
  });

  it("exits 2 at once when the job is gone (404)", async () => {
    const { env } = await serve({
      ...jobRoutes([]),
      [JOB_PATH]: [RUNNING, { status: 404, body: errorBody("not-found", `no job ${JOB_ID}`) }],
    });
    expect(await runCli(["prepull", WEB], { env })).toMatchObject({ code: 2, stdout: "" });
  });

  it("stops following on Ctrl-C, says how to cancel, and never cancels by itself", async () => {
    const { fake, env } = await serve(jobRoutes(PARTIAL_PREPULL.slice(1, 2)));
    const ctrlC = fakeInterrupt();
    const running = runCli(["prepull", WEB], { env, onInterrupt: ctrlC.onInterrupt });
    await vi.waitFor(() => expect(fake.requestsOf("GET", JOB_PATH).length).toBeGreaterThan(2));
    expect(ctrlC.press()).toBe(true);
    const result = await running;
    expect(result.code).toBe(130);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      new RegExp(
        [
          `imagedrift: stopped following job ${JOB_ID}; it goes on in the collector.`,
          `  imagedrift job ${JOB_ID} --follow +follow it again`,
          `  imagedrift cancel ${JOB_ID} +cancel it\n$`,
        ].join("\n"),
      ),
    );
    expect(fake.requestsOf("DELETE")).toEqual([]);
    expect(ctrlC.press()).toBe(false);
  });

  it("does not listen for Ctrl-C once the job is done", async () => {
    const { env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    const ctrlC = fakeInterrupt();
    expect((await runCli(["prepull", WEB], { env, onInterrupt: ctrlC.onInterrupt })).code).toBe(0);
    expect(ctrlC.press()).toBe(false);
  });

  it("draws a live bar on a terminal, with a line as each node finishes, and the summary on stdout", async () => {
    const { env } = await serve(jobRoutes(PARTIAL_PREPULL));
    const result = await runCli(["prepull", WEB], { env, tty: true, pollIntervalMs: 40 });
    expect(result.code).toBe(1);
    const [hide, show] = ["\u001b[?25l", "\u001b[?25h"].map((code) => result.stderr.lastIndexOf(code));
    expect(hide).toBeGreaterThanOrEqual(0); // the cursor is hidden while drawing…
    expect(show).toBeGreaterThan(hide ?? 0); // …and shown again
    expect(result.stderr).toMatch(/█+ 2\/2 nodes \| +\d+s \| partial \|/);
    expect(result.stderr).toContain(
      `worker-2 \u001b[32msucceeded\u001b[39m: pulled ${WEB} sha256:aaaaaaaaaaaa (verified)\n`,
    );
    expect(result.stderr).toContain(
      "worker-3 \u001b[31mfailed\u001b[39m: pull failed: registry answered 503 (attempt 3)\n",
    );
    expect(result.stderr).not.toContain("worker-2 running"); // running nodes show in the bar, not as lines
    expect(result.stdout).toContain(`job ${JOB_ID} \u001b[33mpartial\u001b[39m: 1 succeeded, 1 failed of 2 nodes`);
  });

  it("writes plain lines on a dumb terminal", async () => {
    const { env } = await serve(jobRoutes(SUCCEEDED_PREPULL));
    const result = await runCli(["prepull", WEB], {
      env: { ...env, TERM: "dumb", NO_COLOR: "1" },
      tty: true,
    });
    expect(result.stderr).not.toContain("\u001b");
    expect(result.stderr).toContain("worker-1 succeeded");
  });
});
