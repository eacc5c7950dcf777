/**
 * Typed reads of the collector's REST API (SPEC §7), and the one place that
 * turns HTTP statuses and network failures into ImagedriftError codes:
 * unreachable or too slow → `unavailable` / `deadline-exceeded`, 400 →
 * `invalid-argument`, 401 → `unauthenticated`, 403 → `permission-denied`,
 * 404 → `not-found`, 5xx → `internal` with the server's own message.
 * The token only ever goes into the Authorization header.
 */
import { formatDuration, ImagedriftError } from "@imagedrift/core";
import type { FindingItem, FindingKind, NodeImageItem, NodeItem, Severity, TagStatus, TagView } from "./api-types.js";
import { describeNetworkFailure, isTimeout } from "./network-errors.js";

export interface CollectorClientOptions {
  /** Base URL of the collector: `http://127.0.0.1:8080`, or with a path prefix behind a proxy. */
  server: URL;
  token: string | null;
  /** Per request, connection and body included. */
  timeoutMs: number;
}

type Query = Record<string, string | undefined>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The message of an `{"error": {"code", "message"}}` body, or null. */
function serverMessage(body: unknown): string | null {
  if (!isRecord(body) || !isRecord(body.error)) return null;
  const { code, message } = body.error;
  if (typeof message !== "string" || message === "") return typeof code === "string" ? code : null;
  return message;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class CollectorClient {
  readonly #options: CollectorClientOptions;

  constructor(options: CollectorClientOptions) {
    this.#options = options;
  }

  /** The server as shown in messages: origin and path prefix, never credentials. */
  get serverLabel(): string {
    const { origin, pathname } = this.#options.server;
    return origin + pathname.replace(/\/+$/, "");
  }

  listNodes(): Promise<NodeItem[]> {
    return this.#getItems("/api/v1/nodes");
  }

  listNodeImages(node: string): Promise<NodeImageItem[]> {
    return this.#getItems(`/api/v1/nodes/${encodeURIComponent(node)}/images`);
  }

  listTags(filter: { status?: TagStatus } = {}): Promise<TagView[]> {
    return this.#getItems("/api/v1/tags", filter);
  }

  listFindings(filter: { kind?: FindingKind; severity?: Severity } = {}): Promise<FindingItem[]> {
    return this.#getItems("/api/v1/findings", filter);
  }

  async #getItems<T>(path: string, query: Query = {}): Promise<T[]> {
    const body = await this.#getJson(path, query);
    if (!isRecord(body) || !Array.isArray(body.items)) {
      throw new ImagedriftError(
        "internal",
        `${this.serverLabel} answered GET ${path} without an {"items": [...]} list: is it the imagedrift collector?`,
      );
    }
    return body.items as T[];
  }

  #url(path: string, query: Query): URL {
    const base = this.#options.server;
    const url = new URL(base.pathname.replace(/\/+$/, "") + path, base);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    return url;
  }

  async #getJson(path: string, query: Query): Promise<unknown> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#options.token !== null) headers.authorization = `Bearer ${this.#options.token}`;
    let status: number;
    let text: string;
    try {
      const response = await fetch(this.#url(path, query), {
        headers,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (thrown) {
      throw this.#networkError(thrown);
    }
    const body = parseJson(text);
    if (status >= 200 && status < 300) {
      if (body === undefined) {
        throw new ImagedriftError(
          "internal",
          `${this.serverLabel} answered GET ${path} with something other than JSON: is it the imagedrift collector?`,
        );
      }
      return body;
    }
    throw this.#httpError(status, body, path);
  }

  #networkError(thrown: unknown): ImagedriftError {
    if (isTimeout(thrown)) {
      return new ImagedriftError(
        "deadline-exceeded",
        `the collector at ${this.serverLabel} did not answer within ${formatDuration(this.#options.timeoutMs)} (raise --timeout)`,
        { cause: thrown },
      );
    }
    return new ImagedriftError(
      "unavailable",
      `cannot reach the collector at ${this.serverLabel}: ${describeNetworkFailure(thrown)} (set --server or IMAGEDRIFT_SERVER)`,
      { cause: thrown },
    );
  }

  #httpError(status: number, body: unknown, path: string): ImagedriftError {
    const message = serverMessage(body);
    const detail = message === null ? "" : `: ${message}`;
    if (status === 401 || status === 403) {
      if (this.#options.token === null) {
        return new ImagedriftError("unauthenticated", "the collector needs a token: set --token or IMAGEDRIFT_TOKEN");
      }
      const code = status === 401 ? "unauthenticated" : "permission-denied";
      return new ImagedriftError(code, `the collector refused the token (HTTP ${status}${detail})`);
    }
    if (status === 400) return new ImagedriftError("invalid-argument", `the collector rejected the request${detail}`);
    if (status === 404) return new ImagedriftError("not-found", message ?? `not found: GET ${path} (HTTP 404)`);
    if (status === 429) {
      return new ImagedriftError("resource-exhausted", `the collector is busy (HTTP 429)${detail}; try again later`);
    }
    if (status >= 500) return new ImagedriftError("internal", `the collector failed (HTTP ${status})${detail}`);
    return new ImagedriftError("invalid-argument", `the collector answered GET ${path} with HTTP ${status}${detail}`);
  }
}
