import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { ImagedriftError } from "@imagedrift/core";
import type { FastifyInstance } from "fastify";

/**
 * The web page is built by packages/web (Vite) into packages/web/dist; this
 * file only serves it. The URL is relative to this file, which is the same
 * three levels deep as source (src/http) and as build (dist/http).
 */
export const WEB_DIST = new URL("../../../web/dist/", import.meta.url);

const NOT_BUILT = "web assets not built: run npm run build";

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json; charset=utf-8",
};

/** One file name in dist/assets: no separators, no leading dot (so never `..`). */
const ASSET_NAME = /^[\w-][\w.-]*$/;

/** Everything the page loads comes from the collector itself. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async function readBuilt(dist: URL, path: string): Promise<Buffer | null> {
  try {
    return await readFile(new URL(path, dist));
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw thrown;
  }
}

/** `GET /` (the page, never cached) and `GET /assets/*` (content-hashed names, cached for a year). */
export function registerWebPage(app: FastifyInstance, dist: URL = WEB_DIST): void {
  app.get("/", async (_request, reply) => {
    const html = await readBuilt(dist, "index.html");
    if (!html) throw new ImagedriftError("unavailable", NOT_BUILT);
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", CSP)
      .header("x-content-type-options", "nosniff")
      .send(html);
  });

  app.get<{ Params: { file: string } }>("/assets/:file", async (request, reply) => {
    const { file } = request.params;
    const type = CONTENT_TYPES[extname(file)];
    const body = type && ASSET_NAME.test(file) ? await readBuilt(dist, `assets/${file}`) : null;
    if (!body) {
      if (!(await readBuilt(dist, "index.html"))) throw new ImagedriftError("unavailable", NOT_BUILT);
      throw new ImagedriftError("not-found", `no asset ${JSON.stringify(file)}`);
    }
    return reply
      .type(type ?? "application/octet-stream")
      .header("cache-control", "public, max-age=31536000, immutable")
      .header("x-content-type-options", "nosniff")
      .send(body);
  });
}
