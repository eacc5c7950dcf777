import type { Logger } from "@imagedrift/core";
import Fastify, { type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { JobsApi } from "../jobs/job-runner.js";
import { type ApiDeps, registerApiRoutes } from "./api-routes.js";
import { checkAccess } from "./auth.js";
import { sendError, toHttpError } from "./errors.js";
import { registerJobRoutes } from "./job-routes.js";
import { openApiDocument } from "./openapi.js";
import { registerWebPage } from "./page.js";

export interface HttpServerOptions extends ApiDeps {
  token: string | null;
  protectReads: boolean;
  registry: Registry;
  /** Null when ready, else why not. */
  ready: () => string | null;
  log: Logger;
  bodyLimitBytes?: number;
  /** The job endpoints (SPEC §7); absent, they are not served. */
  jobs?: JobsApi;
  /** Resolves tags against their registries (at most once per interval each) before a prepull is planned. */
  resolveTags?: (tags: readonly string[]) => Promise<void>;
}

/** The collector's HTTP surface: REST API, web page, OpenAPI, health and metrics. */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimitBytes ?? 1024 * 1024, return503OnClosing: true });

  app.addHook("onRequest", async (request) => {
    checkAccess(request, options);
  });
  app.setErrorHandler((thrown, request, reply) => {
    const error = toHttpError(thrown);
    if (error.code === "internal")
      options.log.error("request failed", { method: request.method, url: request.url, error });
    return sendError(reply, error, request);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: "not-found", message: `no route ${request.method} ${request.url.split("?")[0]}` } }),
  );

  registerApiRoutes(app, options);
  if (options.jobs) registerJobRoutes(app, options.jobs, options.resolveTags);
  app.get("/openapi.json", async () => openApiDocument);
  app.get("/healthz", async (_request, reply) => reply.type("text/plain").send("ok\n"));
  app.get("/readyz", async (_request, reply) => {
    const problem = options.ready();
    return reply
      .status(problem ? 503 : 200)
      .type("text/plain")
      .send(problem ? `${problem}\n` : "ok\n");
  });
  app.get("/metrics", async (_request, reply) =>
    reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
  registerWebPage(app);
  return app;
}
