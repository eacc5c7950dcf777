/**
 * The collector's page routes on their own, against a temporary dist folder:
 * a missing build answers 503 with the fix, names that try to leave
 * dist/assets are refused. (The lab test checks the real build end to end.)
 *
 * Imported by path: these routes are not part of the collector's public
 * exports, and this file may move next to page.ts as a unit test.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { registerWebPage } from "../../packages/collector/src/http/page.js";

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function server(dist: URL) {
  const app = Fastify();
  app.setErrorHandler((error: { code?: string; message: string }, _request, reply) =>
    reply
      .status(error.code === "unavailable" ? 503 : 404)
      .send({ error: { code: error.code, message: error.message } }),
  );
  registerWebPage(app, dist);
  apps.push(app);
  return app;
}

describe("the collector's page routes", () => {
  it("answer 503 'web assets not built: run npm run build' when packages/web/dist is missing", async () => {
    const app = await server(pathToFileURL(`${join(await mkdtemp(join(tmpdir(), "idw-")), "nothing")}/`));
    for (const url of ["/", "/assets/index-abc.js"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(503);
      expect(res.json().error.message).toBe("web assets not built: run npm run build");
    }
  });

  it("serve index.html and hashed assets with their types, and nothing outside dist/assets", async () => {
    const dir = await mkdtemp(join(tmpdir(), "idw-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>t</title>");
    await writeFile(join(dir, "assets", "index-Ab12.js"), "export {};");
    await writeFile(join(dir, "assets", "index-Ab12.css"), "body{}");
    await writeFile(join(dir, "secret.txt"), "no");
    const app = await server(pathToFileURL(`${dir}/`));
    const html = await app.inject({ method: "GET", url: "/" });
    expect(html.statusCode).toBe(200);
    expect(html.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(html.headers["cache-control"]).toBe("no-cache");
    const js = await app.inject({ method: "GET", url: "/assets/index-Ab12.js" });
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const css = await app.inject({ method: "GET", url: "/assets/index-Ab12.css" });
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    for (const url of ["/assets/..%2Fsecret.txt", "/assets/..%2Findex.html", "/assets/.hidden.js", "/assets/x.exe"]) {
      expect((await app.inject({ method: "GET", url })).statusCode, url).toBe(404);
    }
  });
});
