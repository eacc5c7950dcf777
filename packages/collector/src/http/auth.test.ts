import { afterEach, describe, expect, it } from "vitest";
import { driftOnStores, httpServer } from "./collector.fake.js";
import type { HttpServerOptions } from "./server.js";

const TOKEN = "main-8c1d";
const READ = "read-40ab";

/** The HTTP server on a real in-memory store with one node, without jobs. */
function server(options: Partial<HttpServerOptions>) {
  const stores = driftOnStores((nodes) =>
    nodes.hello("n1", { agentVersion: "0.1.0", intervalMs: 60_000, labels: {} }, new Date()),
  );
  const app = httpServer(stores, options);
  apps.push(app);
  return app;
}

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("--protect-reads", () => {
  it("an encoded path does not read around the token (was: GET /%61pi/v1/nodes served the nodes)", async () => {
    const app = server({ token: TOKEN, protectReads: true });
    for (const url of ["/api/v1/nodes", "/%61pi/v1/nodes", "/api/v1/%6eodes", "/%61%70%69/v1/nodes"]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error).toEqual({
        code: "unauthenticated",
        message: "GET /api/v1/nodes needs a token: send Authorization: Bearer <token>",
      });
      expect((await app.inject({ url, headers: bearer(TOKEN) })).statusCode, url).toBe(200);
    }
  });
});

describe("--read-token-file", () => {
  it("reads under /api/ need either token; the main token reads too", async () => {
    const app = server({ token: TOKEN, readToken: READ });
    expect((await app.inject({ url: "/api/v1/nodes" })).statusCode).toBe(401);
    expect((await app.inject({ url: "/api/v1/nodes", headers: bearer("other") })).json().error).toEqual({
      code: "unauthenticated",
      message: "the token is not valid",
    });
    const read = await app.inject({ url: "/api/v1/nodes", headers: bearer(READ) });
    expect(read.statusCode).toBe(200);
    expect(read.json().items.map((n: { name: string }) => n.name)).toEqual(["n1"]);
    expect((await app.inject({ url: "/api/v1/nodes", headers: bearer(TOKEN) })).statusCode).toBe(200);
    for (const url of ["/healthz", "/readyz", "/metrics", "/openapi.json", "/"]) {
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    }
  });

  it("the read token changes nothing: 403 naming why", async () => {
    const app = server({ token: TOKEN, readToken: READ });
    const res = await app.inject({ method: "DELETE", url: "/api/v1/jobs/x", headers: bearer(READ) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toEqual({
      code: "permission-denied",
      message: "the read token cannot DELETE /api/v1/jobs/x: changes need the main token",
    });
  });

  it('an Authorization header that is not "Bearer <token>" is named as such, and never echoed', async () => {
    const app = server({ token: TOKEN, readToken: READ });
    const res = await app.inject({ url: "/api/v1/nodes", headers: { authorization: `Basic ${TOKEN}-x` } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('the Authorization header must be "Bearer <token>"');
    expect(res.body).not.toContain(TOKEN);
  });
});

describe("without any token", () => {
  it("everything is open (the collector warns at start)", async () => {
    const app = server({});
    expect((await app.inject({ url: "/api/v1/nodes" })).statusCode).toBe(200);
    expect((await app.inject({ method: "DELETE", url: "/api/v1/jobs/x" })).statusCode).toBe(404);
  });
});
