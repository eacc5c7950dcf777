/**
 * `GET /api/v1/registries`: the registries whose credentials fail now (401,
 * 403, or the collector's cloud identity), with the reason and since when.
 * A read like the others; the messages name hosts and steps, never a
 * credential.
 */
import type { RegistriesAnswer } from "@imagedrift/core";
import type { FastifyInstance } from "fastify";
import type { AuthProblem } from "../registry/auth-health.js";

export type { RegistriesAnswer };

export function registerRegistryRoutes(app: FastifyInstance, authProblems: () => AuthProblem[]): void {
  app.get("/api/v1/registries", async (): Promise<RegistriesAnswer> => ({ authProblems: authProblems() }));
}
