import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../cli-harness.fake.js";
import { type CannedRoute, errorBody, FakeCollector } from "../collector.fake.js";
import { JOB_ID, JOB_PATH } from "../job-fixtures.fake.js";

const TOKEN = "Zq9-cancel-token";

let fake: FakeCollector | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function serve(routes: Record<string, CannedRoute>, token?: string) {
  fake = await FakeCollector.start({ routes, token });
  return { fake, env: { IMAGEDRIFT_SERVER: fake.url } };
}

describe("imagedrift cancel ID", () => {
  it("sends DELETE with the token and says what happens next", async () => {
    const { fake, env } = await serve(
      { [`DELETE ${JOB_PATH}`]: { status: 202, body: { id: JOB_ID, state: "running" } } },
      TOKEN,
    );
    const result = await runCli(["cancel", JOB_ID, "--token", TOKEN], { env });
    expect(result).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        `asked the collector to cancel job ${JOB_ID} (state now: running); what nodes already pulled or removed stays done.`,
        `follow it to its end: imagedrift job ${JOB_ID} --follow`,
        "",
      ].join("\n"),
    });
    expect(fake.requests).toEqual([{ method: "DELETE", url: JOB_PATH, authorization: `Bearer ${TOKEN}` }]);
  });

  it("takes an empty answer (204), and prints data with -o json", async () => {
    const { env } = await serve({ [`DELETE ${JOB_PATH}`]: { status: 204, body: null, raw: "" } });
    const result = await runCli(["cancel", JOB_ID, "-o", "json"], { env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id: JOB_ID });
  });

  it("exits 2 saying the collector needs a token (401), or with its message for a finished job", async () => {
    const { env } = await serve(
      { [`DELETE ${JOB_PATH}`]: { status: 409, body: errorBody("failed-precondition", "job already succeeded") } },
      TOKEN,
    );
    expect(await runCli(["cancel", JOB_ID], { env })).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "imagedrift: the collector needs a token: set --token or IMAGEDRIFT_TOKEN to the one in the collector's --token-file\n",
    });
    const finished = await runCli(["cancel", JOB_ID, "--token", TOKEN], { env });
    expect(finished).toMatchObject({ code: 2, stdout: "" });
    expect(finished.stderr).toMatch(/job already succeeded/);
  });
});
