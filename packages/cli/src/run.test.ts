/** The CLI end to end in-process, against the collector test double: global options, exit codes, errors. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cannedRoutes } from "./api-fixtures.fake.js";
import { runCli } from "./cli-harness.fake.js";
import { type CannedResponse, closedPort, errorBody, FakeCollector } from "./collector.fake.js";

const TOKEN = "Zq9-very-secret-token";
const ESC = "\u001b[";

let fake: FakeCollector;
let env: Record<string, string>;

async function serve(routes: Record<string, CannedResponse>, token?: string) {
  await fake.close();
  fake = await FakeCollector.start({ routes, token });
  env = { IMAGEDRIFT_SERVER: fake.url };
}

beforeEach(async () => {
  fake = await FakeCollector.start({ routes: cannedRoutes() });
  env = { IMAGEDRIFT_SERVER: fake.url };
});
afterEach(() => fake.close());

describe("global options", () => {
  it("reads the server from IMAGEDRIFT_SERVER, and --server anywhere on the line wins", async () => {
    expect((await runCli(["nodes"], { env })).code).toBe(0);
    const port = await closedPort();
    const env2 = { IMAGEDRIFT_SERVER: `http://127.0.0.1:${port}` };
    expect((await runCli(["--server", fake.url, "nodes"], { env: env2 })).code).toBe(0);
    expect((await runCli(["nodes", "--server", fake.url], { env: env2 })).code).toBe(0);
    expect(fake.paths).toEqual(["/api/v1/nodes", "/api/v1/nodes", "/api/v1/nodes"]);
  });

  it("sends the token as a bearer header, from --token or IMAGEDRIFT_TOKEN, and none without", async () => {
    await serve(cannedRoutes(), TOKEN);
    expect((await runCli(["nodes", "--token", TOKEN], { env })).code).toBe(0);
    expect((await runCli(["tags"], { env: { ...env, IMAGEDRIFT_TOKEN: TOKEN } })).code).toBe(0);
    expect(fake.requests.map((r) => r.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it("colours only on a terminal without NO_COLOR", async () => {
    const tty = await runCli(["nodes"], { env, tty: true });
    expect(tty.stdout).toContain("\u001b[32mreporting\u001b[39m");
    expect((await runCli(["nodes"], { env, tty: true })).stdout).toContain(ESC);
    expect((await runCli(["nodes"], { env: { ...env, NO_COLOR: "1" }, tty: true })).stdout).not.toContain(ESC);
    expect((await runCli(["nodes"], { env })).stdout).not.toContain(ESC);
  });
});

describe("exit codes", () => {
  it("2 for usage errors, with commander's message", async () => {
    for (const argv of [
      [],
      ["frobnicate"],
      ["nodes", "--bogus"],
      ["images"],
      ["-o", "xml", "nodes"],
      ["tags", "--status", "old"],
    ]) {
      const result = await runCli(argv, { env });
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).not.toBe("");
    }
    expect(fake.requests).toEqual([]);
  });

  it("2 for bad option values, listing each", async () => {
    const result = await runCli(["nodes", "--timeout", "soon", "--server", "ftp://x"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--server: "ftp:" is not supported[\s\S]*--timeout: invalid duration "soon"/);
  });

  it("2 when the collector refuses the token or wants one, never printing it", async () => {
    await serve(cannedRoutes(), "the-right-one");
    const refused = await runCli(["nodes", "--token", TOKEN], { env });
    expect(refused).toMatchObject({ code: 2, stdout: "" });
    expect(refused.stderr).toBe(
      "imagedrift: the collector refused the token from --token or IMAGEDRIFT_TOKEN (HTTP 401: missing or invalid bearer token): it must match the collector's --token-file\n",
    );
    const fromEnv = await runCli(["tags"], { env: { ...env, IMAGEDRIFT_TOKEN: TOKEN } });
    expect(fromEnv.stderr).not.toContain(TOKEN);
    const none = await runCli(["nodes"], { env });
    expect(none).toMatchObject({
      code: 2,
      stderr:
        "imagedrift: the collector needs a token: set --token or IMAGEDRIFT_TOKEN to the one in the collector's --token-file\n",
    });
  });

  it("2 for 403 and for 400 from the collector", async () => {
    await serve({
      "/api/v1/nodes": { status: 403, body: errorBody("permission-denied", "read-only token") },
      "/api/v1/tags": { status: 400, body: errorBody("invalid-argument", "unknown status") },
    });
    expect(await runCli(["nodes", "--token", TOKEN], { env })).toMatchObject({
      code: 2,
      stderr:
        "imagedrift: the collector refused the token from --token or IMAGEDRIFT_TOKEN (HTTP 403: read-only token): it must match the collector's --token-file\n",
    });
    expect(await runCli(["tags"], { env })).toMatchObject({
      code: 2,
      stderr: "imagedrift: the collector rejected the request: unknown status\n",
    });
  });

  it("2 for an unknown node (404)", async () => {
    await serve({ "/api/v1/nodes/nope/images": { status: 404, body: errorBody("not-found", "no node nope") } });
    expect(await runCli(["images", "nope"], { env })).toMatchObject({ code: 2, stderr: "imagedrift: no node nope\n" });
  });

  it("3 with the server's message for a 5xx: the collector failed, not the check", async () => {
    await serve({ "/api/v1/findings": { status: 500, body: errorBody("internal", "database is locked") } });
    expect(await runCli(["findings"], { env })).toMatchObject({
      code: 3,
      stdout: "",
      stderr: "imagedrift: the collector failed (HTTP 500): database is locked\n",
    });
  });

  it("3 when the collector cannot be reached", async () => {
    const port = await closedPort();
    const result = await runCli(["nodes", "--server", `http://127.0.0.1:${port}`], { env: {} });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `imagedrift: cannot reach the collector at http://127.0.0.1:${port}: connection refused (ECONNREFUSED) (set --server or IMAGEDRIFT_SERVER)\n`,
    );
  });

  it("3 when the collector does not answer in time", async () => {
    await serve({ "/api/v1/nodes": { body: { items: [] }, delayMs: 3000 } });
    const result = await runCli(["nodes", "--timeout", "150ms"], { env });
    expect(result).toMatchObject({ code: 3 });
    expect(result.stderr).toMatch(/did not answer within 150ms/);
  });
});

describe("help", () => {
  it.each(["nodes", "images", "tags", "findings", "verify", "prepull", "refresh", "prune", "jobs", "job", "cancel"])(
    "%s --help explains, shows an example and names the env vars",
    async (command) => {
      const result = await runCli([command, "--help"], { env });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: imagedrift ${command}`);
      expect(result.stdout).toContain(`$ imagedrift ${command}`);
      expect(result.stdout).toContain("IMAGEDRIFT_SERVER");
      expect(result.stdout).toContain("IMAGEDRIFT_TOKEN");
      expect(result.stdout).toContain("--server <url>");
      expect(fake.requests).toEqual([]);
    },
  );

  it("job commands explain following, --no-wait and Ctrl-C", async () => {
    for (const command of ["prepull", "refresh", "prune"]) {
      const help = (await runCli([command, "--help"], { env })).stdout;
      for (const flag of [
        "--nodes",
        "--selector",
        "--concurrency",
        "--dry-run",
        "--timeout-per-node",
        "--retries",
        "--no-wait",
      ])
        expect(help, `${command} ${flag}`).toContain(flag);
      expect(help).toContain("imagedrift cancel ID");
    }
    expect((await runCli(["--help"], { env })).stdout).toMatch(
      /prepull[\s\S]*refresh[\s\S]*prune[\s\S]*jobs[\s\S]*job[\s\S]*cancel/,
    );
  });

  it("prints the version", async () => {
    expect(await runCli(["--version"])).toMatchObject({ code: 0, stdout: "0.1.0\n" });
  });
});

describe("every global flag is also an environment variable", () => {
  it("reads IMAGEDRIFT_OUTPUT and IMAGEDRIFT_TIMEOUT, and the flag wins", async () => {
    const json = await runCli(["nodes"], { env: { ...env, IMAGEDRIFT_OUTPUT: "json" } });
    expect(json.code).toBe(0);
    expect(Array.isArray(JSON.parse(json.stdout))).toBe(true);
    const table = await runCli(["nodes", "-o", "table"], { env: { ...env, IMAGEDRIFT_OUTPUT: "json" } });
    expect(table.stdout).toMatch(/^NAME/);
    await serve({ "/api/v1/nodes": { body: { items: [] }, delayMs: 3000 } });
    const slow = await runCli(["nodes"], { env: { ...env, IMAGEDRIFT_TIMEOUT: "150ms" } });
    expect(slow.code).toBe(3);
    expect(slow.stderr).toMatch(/did not answer within 150ms/);
  });

  it("checks a variable by the flag's rules, naming the variable, before any request", async () => {
    const bad = await runCli(["nodes"], { env: { ...env, IMAGEDRIFT_OUTPUT: "xml", IMAGEDRIFT_TIMEOUT: "soon" } });
    expect(bad).toMatchObject({ code: 2, stdout: "" });
    expect(bad.stderr).toBe(
      [
        "imagedrift: invalid settings:",
        '  IMAGEDRIFT_TIMEOUT: invalid duration "soon": expected a number before the unit',
        '  IMAGEDRIFT_OUTPUT: "xml" is not one of table, json, yaml',
        "",
      ].join("\n"),
    );
    expect((await runCli(["nodes"], { env: { ...env, IMAGEDRIFT_TIMEOUT: "0s" } })).stderr).toMatch(
      /IMAGEDRIFT_TIMEOUT: must be more than 0/,
    );
    expect(fake.requests).toEqual([]);
  });

  it("--help names every variable", async () => {
    const help = (await runCli(["--help"], { env })).stdout;
    for (const name of ["IMAGEDRIFT_SERVER", "IMAGEDRIFT_TOKEN", "IMAGEDRIFT_OUTPUT", "IMAGEDRIFT_TIMEOUT"]) {
      expect(help).toContain(`  ${name} `);
    }
  });
});

describe("a --server that is not the collector's base URL", () => {
  it("drops a trailing /api/v1 (or /api/v1/) copied from a request", async () => {
    for (const server of [`${fake.url}/api/v1`, `${fake.url}/api/v1/`, `${fake.url}/`]) {
      expect((await runCli(["nodes", "--server", server], { env: {} })).code, server).toBe(0);
    }
    expect(fake.paths).toEqual(["/api/v1/nodes", "/api/v1/nodes", "/api/v1/nodes"]);
  });

  it("asks whether it is the collector's address when the server answers 404 without the API's error, or HTML", async () => {
    await serve({ "/other": { body: {} } });
    const wrongPath = await runCli(["nodes", "--server", `${fake.url}/imagedrift`], { env: {} });
    expect(wrongPath).toMatchObject({ code: 2, stdout: "" });
    expect(wrongPath.stderr).toBe(
      `imagedrift: ${fake.url}/imagedrift answered GET /api/v1/nodes with HTTP 404: no route GET /imagedrift/api/v1/nodes: is this the collector's address? (--server / IMAGEDRIFT_SERVER)\n`,
    );
    await serve({ "/api/v1/nodes": { status: 404, body: null, raw: "<html>Not Found</html>" } });
    const html = await runCli(["nodes"], { env });
    expect(html.code).toBe(2);
    expect(html.stderr).toMatch(/answered GET \/api\/v1\/nodes with HTTP 404: is this the collector's address\?/);
  });
});
