import {
  CONTAINER_STATES,
  FINDING_KINDS,
  JOB_STATES,
  JOB_TYPES,
  NODE_JOB_STATES,
  PRUNE_MODES,
  REGISTRY_AUTH_REASONS,
  SEVERITIES,
  TAG_STATUSES,
} from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "./openapi.js";
import { SCHEMA_FIELDS } from "./openapi-schemas.js";

interface ObjectSchema {
  required?: string[];
  properties: Record<string, { enum?: readonly string[]; items?: { $ref?: string } }>;
}

const schemas = openApiDocument.components.schemas as unknown as Record<string, ObjectSchema>;

describe("the OpenAPI document against the API's types (core api-types.ts)", () => {
  it.each(Object.entries(SCHEMA_FIELDS))(
    "%s has exactly the type's fields, required as the type says",
    (name, fields) => {
      const schema = schemas[name];
      expect(schema, name).toBeDefined();
      expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(Object.keys(fields).sort());
      const required = Object.keys(fields).filter((field) => fields[field as keyof typeof fields] === "required");
      expect([...(schema?.required ?? [])].sort()).toEqual(required.sort());
    },
  );

  it("takes its enums from core's constants", () => {
    const enumOf = (schema: string, field: string) => schemas[schema]?.properties[field]?.enum;
    expect(enumOf("Job", "state")).toEqual(JOB_STATES);
    expect(enumOf("RegistryAuthProblem", "reason")).toEqual(REGISTRY_AUTH_REASONS);
    expect(enumOf("Job", "type")).toEqual(JOB_TYPES);
    expect(enumOf("JobRequest", "type")).toEqual(JOB_TYPES);
    expect(enumOf("JobNode", "state")).toEqual(NODE_JOB_STATES);
    expect(enumOf("PrunePolicy", "mode")).toEqual(PRUNE_MODES);
    expect(enumOf("Finding", "kind")).toEqual(FINDING_KINDS);
    expect(enumOf("Finding", "severity")).toEqual(SEVERITIES);
    expect(enumOf("Tag", "status")).toEqual(TAG_STATUSES);
    expect(enumOf("Container", "state")).toEqual(CONTAINER_STATES);
  });

  it("documents GET /api/v1/registries with the Registries schema", () => {
    const answer = (openApiDocument.paths as Record<string, { get?: { responses: Record<string, unknown> } }>)[
      "/api/v1/registries"
    ]?.get?.responses["200"];
    expect(JSON.stringify(answer)).toContain("#/components/schemas/Registries");
  });

  it("every $ref names a schema the document has", () => {
    const refs = JSON.stringify(openApiDocument).match(/#\/components\/schemas\/\w+/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) expect(schemas[ref.split("/").at(-1) ?? ""], ref).toBeDefined();
  });
});
