import { ImagedriftError, type Logger } from "@imagedrift/core";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { Counter, type Registry } from "prom-client";
import type { JobsApi } from "../jobs/job-runner.js";
import type { AuthProblem } from "../registry/auth-health.js";
import { type ApiDeps, registerApiRoutes } from "./api-routes.js";
import { checkAccess } from "./auth.js";
import { answerClientError, sendError, toHttpError } from "./errors.js";
import { registerJobRoutes } from "./job-routes.js";
import { openApiDocument } from "./openapi.js";
import { registerWebPage } from "./page.js";
import { limitRate, type RateLimit, RateLimiter } from "./rate-limit.js";
import { DISTRIBUTION_EVENTS_TYPE, registerRegistryEventRoutes } from "./registry-event-routes.js";
import { registerRegistryRoutes } from "./registry-routes.js";

export interface HttpServerOptions extends ApiDeps {
  token: string | null;
  /** A token that can only read; when set, reads under /api/ need it or the main token. */
  readToken?: string | null;
  protectReads: boolean;
  /** Per client IP; null or absent: no limit. */
  rateLimit?: RateLimit | null;
  registry: Registry;
  /** Null when ready, else why not. */
  ready: () => string | null;
  log: Logger;
  bodyLimitBytes?: number;
  /** The job endpoints (docs/ARCHITECTURE.md#rest-api); absent, they are not served. */
  jobs?: JobsApi;
  /** Resolves tags against their registries (at most once per interval each) before a prepull is planned. */
  resolveTags?: (tags: readonly string[]) => Promise<void>;
  /** `--registry-events-token-file`: POST /api/v1/registry-events takes it as well as the main token. */
  registryEventsToken?: string | null;
  /** imagedrift_registry_events_total; absent, the events are not counted. */
  registryEventsCounter?: Counter<"source" | "action" | "result">;
  /** Registries whose credentials fail now (GET /api/v1/registries); absent, none are reported. */
  registryAuthProblems?: () => AuthProblem[];
}

/**
 * JSON bodies as fastify parses them (prototype keys refused), with errors
 * that say what is wrong: fastify's own parser drops JSON.parse's message.
 */
function parseJsonNamingProblems(app: FastifyInstance): void {
  const secure = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    ["application/json", DISTRIBUTION_EVENTS_TYPE],
    { parseAs: "string" },
    (request, body, done) => {
      const text = String(body);
      if (text === "") return done(new ImagedriftError("invalid-argument", "the body is empty: send a JSON object"));
      try {
        JSON.parse(text);
      } catch (thrown) {
        return done(
          new ImagedriftError("invalid-argument", `the body is not valid JSON: ${(thrown as Error).message}`),
        );
      }
      void secure(request, text, (error, value) => {
        if (!error) return done(null, value);
        done(
          new ImagedriftError(
            "invalid-argument",
            'the body holds a forbidden "__proto__" or "constructor.prototype" key',
          ),
        );
      });
    },
  );
}

/** The collector's HTTP surface: REST API, web page, OpenAPI, health and metrics. */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const bodyLimitBytes = options.bodyLimitBytes ?? 1024 * 1024;
  const answer = (thrown: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const error = toHttpError(thrown, { bodyLimitBytes, contentType: request.headers["content-type"] });
    if (error.status >= 500)
      options.log.error("request failed", { method: request.method, url: request.url, error: error.error });
    return sendError(reply, error);
  };
  const app = Fastify({
    logger: false,
    bodyLimit: bodyLimitBytes,
    return503OnClosing: true,
    // Node names are up to 253 characters (find-my-way's default stops path parameters at 100).
    routerOptions: { maxParamLength: 1024 },
    // Bad percent-encoding and over-long parameters get the API's error shape too.
    frameworkErrors: answer,
    clientErrorHandler: answerClientError,
  });

  parseJsonNamingProblems(app);
  if (options.rateLimit) limitRate(app, new RateLimiter(options.rateLimit));
  app.addHook("onRequest", async (request) => {
    checkAccess(request, options);
  });
  app.setErrorHandler(answer);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: "not-found", message: `no route ${request.method} ${request.url.split("?")[0]}` } }),
  );

  registerApiRoutes(app, options);
  if (options.jobs) registerJobRoutes(app, options.jobs, options.resolveTags);
  registerRegistryRoutes(app, options.registryAuthProblems ?? (() => []));
  registerRegistryEventRoutes(app, {
    knownTags: () => options.drift.knownTags(),
    resolveChanged: (tags, pushed) => options.drift.resolveChanged(tags, pushed),
    counter:
      options.registryEventsCounter ??
      new Counter({
        name: "imagedrift_registry_events_total",
        help: "unused",
        labelNames: ["source", "action", "result"],
        registers: [],
      }),
  });
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
