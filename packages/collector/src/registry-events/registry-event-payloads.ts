/**
 * The push notifications registries send, read into one shape: the CNCF
 * distribution notification envelope (docker-registry's `notifications:
 * endpoints:`), Harbor's webhook and Docker Hub's. Only what names a tag is
 * kept; the digest is a hint (the collector asks the registry itself).
 */
import { ImagedriftError } from "@imagedrift/core";

export const REGISTRY_EVENT_SOURCES = ["distribution", "harbor", "dockerhub"] as const;
export type RegistryEventSource = (typeof REGISTRY_EVENT_SOURCES)[number];

export const REGISTRY_EVENT_ACTIONS = ["push", "delete", "other"] as const;
export type RegistryEventAction = (typeof REGISTRY_EVENT_ACTIONS)[number];

export interface RegistryEvent {
  action: RegistryEventAction;
  /** The registry's host as it sees itself (`registry.example:5000`, `docker.io`); null when the payload has none. */
  host: string | null;
  repository: string;
  /** Null for an event by digest only (a manifest pushed without a tag, a blob). */
  tag: string | null;
  /** The payload's digest: a hint, never the verdict. */
  digest: string | null;
}

export interface RegistryEvents {
  source: RegistryEventSource;
  events: RegistryEvent[];
}

/** More events in one request are refused: a registry batches a handful, a flood is not a notification. */
export const MAX_EVENTS_PER_REQUEST = 1000;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function invalid(message: string): ImagedriftError {
  return new ImagedriftError("invalid-argument", message);
}

/** An optional string field: absent or "" reads null, anything else not a string is refused. */
function optionalString(value: unknown, where: string): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string") throw invalid(`${where} must be a string`);
  return value;
}

function requiredString(value: unknown, where: string): string {
  const text = optionalString(value, where);
  if (text === null) throw invalid(`${where} is missing`);
  return text;
}

/** The host of a URL (`https://registry:5000/v2/...` → `registry:5000`); null when it is not one. */
function hostOfUrl(value: string | null): string | null {
  if (value === null) return null;
  try {
    return new URL(value).host || null;
  } catch {
    return null;
  }
}

function eventList(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${where} must be an array`);
  if (value.length > MAX_EVENTS_PER_REQUEST) {
    throw invalid(`${where} holds ${value.length} events; at most ${MAX_EVENTS_PER_REQUEST} per request`);
  }
  return value;
}

function distributionAction(value: string): RegistryEventAction {
  return value === "push" || value === "delete" ? value : "other";
}

/** `{"events":[{"action","target":{"repository","tag","digest","url"},"request":{"host"}}]}` */
function parseDistribution(body: Json): RegistryEvents {
  const events = eventList(body.events, "events").map((item, i): RegistryEvent => {
    const where = `events[${i}]`;
    if (!isObject(item)) throw invalid(`${where} must be an object`);
    const target = item.target;
    if (!isObject(target)) throw invalid(`${where}.target must be an object`);
    const request = item.request === undefined ? {} : item.request;
    if (!isObject(request)) throw invalid(`${where}.request must be an object`);
    const host = hostOfUrl(optionalString(target.url, `${where}.target.url`));
    return {
      action: distributionAction(requiredString(item.action, `${where}.action`)),
      host: host ?? optionalString(request.host, `${where}.request.host`),
      repository: requiredString(target.repository, `${where}.target.repository`),
      tag: optionalString(target.tag, `${where}.target.tag`),
      digest: optionalString(target.digest, `${where}.target.digest`),
    };
  });
  return { source: "distribution", events };
}

/** `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"digest","tag","resource_url"}],"repository":{"repo_full_name"}}}` */
function parseHarbor(body: Json): RegistryEvents {
  const type = requiredString(body.type, "type");
  const action: RegistryEventAction =
    type === "PUSH_ARTIFACT" ? "push" : type === "DELETE_ARTIFACT" ? "delete" : "other";
  const data = body.event_data;
  if (!isObject(data)) throw invalid("event_data must be an object");
  const repository = data.repository;
  if (!isObject(repository)) throw invalid("event_data.repository must be an object");
  const name = requiredString(repository.repo_full_name, "event_data.repository.repo_full_name");
  const events = eventList(data.resources, "event_data.resources").map((item, i): RegistryEvent => {
    const where = `event_data.resources[${i}]`;
    if (!isObject(item)) throw invalid(`${where} must be an object`);
    // resource_url is `harbor.example/project/repo:tag`, without a scheme.
    const url = optionalString(item.resource_url, `${where}.resource_url`);
    const host = url === null ? null : (url.split("/")[0] ?? null);
    return {
      action,
      host: host === "" ? null : host,
      repository: name,
      tag: optionalString(item.tag, `${where}.tag`),
      digest: optionalString(item.digest, `${where}.digest`),
    };
  });
  return { source: "harbor", events };
}

/** `{"push_data":{"tag"},"repository":{"repo_name"}}`: Docker Hub sends one push per request. */
function parseDockerHub(body: Json): RegistryEvents {
  const push = body.push_data;
  if (!isObject(push)) throw invalid("push_data must be an object");
  const repository = body.repository;
  if (!isObject(repository)) throw invalid("repository must be an object");
  const name = requiredString(repository.repo_name, "repository.repo_name");
  return {
    source: "dockerhub",
    events: [
      {
        action: "push",
        host: "docker.io",
        repository: name.includes("/") ? name : `library/${name}`,
        tag: requiredString(push.tag, "push_data.tag"),
        digest: null,
      },
    ],
  };
}

/**
 * Reads a notification body in any of the three formats, told apart by their
 * keys; a body that is none of them, or one with a malformed field, is
 * refused naming the field.
 */
export function parseRegistryEvents(body: unknown): RegistryEvents {
  if (!isObject(body)) throw invalid("the body must be a JSON object");
  if ("events" in body) return parseDistribution(body);
  if ("event_data" in body) return parseHarbor(body);
  if ("push_data" in body) return parseDockerHub(body);
  throw invalid(
    'the body is not a registry notification: expected "events" (distribution), "event_data" (Harbor) or "push_data" (Docker Hub)',
  );
}
