/**
 * Typed calls of the collector's REST API (docs/ARCHITECTURE.md#rest-api), and the one place that
 * turns HTTP statuses and network failures into ImagedriftError codes:
 * unreachable or too slow → `unavailable` / `deadline-exceeded`, 400 →
 * `invalid-argument`, 401 → `unauthenticated`, 403 → `permission-denied`,
 * 404 → `not-found`, 409 → `failed-precondition` (e.g. cancelling a finished
 * job), 5xx → `internal` with the server's own message.
 * The token only ever goes into the Authorization header.
 */
import {
  type FindingItem,
  type FindingKind,
  formatDuration,
  ImagedriftError,
  type JobCreated,
  type JobItem,
  type JobRequest,
  type JobState,
  type NodeImageItem,
  type NodeItem,
  type Severity,
  summaryOfTag,
  type TagStatus,
  type TagSummary,
  type TagView,
} from "@imagedrift/core";
import { describeNetworkFailure, isTimeout } from "./network-errors.js";
import { SERVER_ENV, TOKEN_ENV } from "./settings.js";

export interface CollectorClientOptions {
  /** Base URL of the collector: `http://127.0.0.1:8080`, or with a path prefix behind a proxy. */
  server: URL;
  token: string | null;
  /** Per request, connection and body included. */
  timeoutMs: number;
}

type Query = Record<string, string | undefined>;
type Method = "GET" | "POST" | "DELETE";

interface SendOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Whether an empty answer (e.g. 204) is fine; it reads as null. */
  emptyOk?: boolean;
  /** Gives up early when aborted (the timeout applies as well). */
  signal?: AbortSignal;
}

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

  /**
   * Every tag without its per-node list (`view=summary`): at 5,000 nodes a
   * tag's view is 1 MiB of holders. A collector that predates summaries sends
   * views, summarised here.
   */
  async listTagSummaries(filter: { status?: TagStatus } = {}): Promise<TagSummary[]> {
    const items = await this.#getItems<TagSummary | TagView>("/api/v1/tags", { ...filter, view: "summary" });
    return items.map((item) => ("nodes" in item ? summaryOfTag(item) : item));
  }

  listFindings(filter: { kind?: FindingKind; severity?: Severity } = {}): Promise<FindingItem[]> {
    return this.#getItems("/api/v1/findings", filter);
  }

  /** The newest jobs first; the collector lists 100 unless `limit` (at most 1000) says otherwise. */
  listJobs(filter: { state?: JobState; limit?: number } = {}): Promise<JobItem[]> {
    const { state, limit } = filter;
    return this.#getItems("/api/v1/jobs", { state, limit: limit === undefined ? undefined : String(limit) });
  }

  /** `POST /api/v1/jobs`: the job is created and runs in the collector. */
  async createJob(request: JobRequest): Promise<JobCreated> {
    const path = "/api/v1/jobs";
    const body = await this.#send("POST", path, { body: request });
    if (!isRecord(body) || typeof body.id !== "string" || body.id === "") {
      throw this.#notTheApi("POST", path, 'without the {"id": ...} of the new job');
    }
    return body as unknown as JobCreated;
  }

  async getJob(id: string, options: { signal?: AbortSignal } = {}): Promise<JobItem> {
    const path = `/api/v1/jobs/${encodeURIComponent(id)}`;
    const body = await this.#send("GET", path, options);
    if (!isRecord(body) || typeof body.state !== "string" || !Array.isArray(body.nodes)) {
      throw this.#notTheApi("GET", path, 'without a job {"id", "state", "nodes": [...]}');
    }
    return body as unknown as JobItem;
  }

  /** `DELETE /api/v1/jobs/{id}`: asks the collector to cancel the job; whatever it answers (null when nothing). */
  cancelJob(id: string): Promise<unknown> {
    return this.#send("DELETE", `/api/v1/jobs/${encodeURIComponent(id)}`, { emptyOk: true });
  }

  /** Every item of a list, following `nextCursor` through the pages of a paginated one (GET /api/v1/tags). */
  async #getItems<T>(path: string, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const body = await this.#send("GET", path, { query: cursor === undefined ? query : { ...query, cursor } });
      if (!isRecord(body) || !Array.isArray(body.items))
        throw this.#notTheApi("GET", path, 'without an {"items": [...]} list');
      items.push(...(body.items as T[]));
      const next = typeof body.nextCursor === "string" && body.nextCursor !== "" ? body.nextCursor : undefined;
      if (next !== undefined && next === cursor) throw this.#notTheApi("GET", path, "with the same nextCursor twice");
      cursor = next;
    } while (cursor !== undefined);
    return items;
  }

  /** The server answered, but not as the collector's API does: most likely --server points elsewhere. */
  #notTheApi(method: Method, path: string, what: string): ImagedriftError {
    return new ImagedriftError(
      "invalid-config",
      `${this.serverLabel} answered ${method} ${path} ${what}: is this the collector's address? (--server / ${SERVER_ENV})`,
    );
  }

  #url(path: string, query: Query): URL {
    const base = this.#options.server;
    const url = new URL(base.pathname.replace(/\/+$/, "") + path, base);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    return url;
  }

  async #send(method: Method, path: string, options: SendOptions = {}): Promise<unknown> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#options.token !== null) headers.authorization = `Bearer ${this.#options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    let status: number;
    let text: string;
    try {
      const response = await fetch(this.#url(path, options.query ?? {}), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.any([
          AbortSignal.timeout(this.#options.timeoutMs),
          ...(options.signal ? [options.signal] : []),
        ]),
      });
      status = response.status;
      text = await response.text();
    } catch (thrown) {
      throw this.#networkError(thrown);
    }
    if (status < 200 || status >= 300) throw this.#httpError(status, parseJson(text), `${method} ${path}`);
    if (options.emptyOk && text.trim() === "") return null;
    const body = parseJson(text);
    if (body === undefined) throw this.#notTheApi(method, path, "with something other than JSON");
    return body;
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
      `cannot reach the collector at ${this.serverLabel}: ${describeNetworkFailure(thrown)} (set --server or ${SERVER_ENV})`,
      { cause: thrown },
    );
  }

  /** `request` is `METHOD /path`, for messages. */
  #httpError(status: number, body: unknown, request: string): ImagedriftError {
    const message = serverMessage(body);
    const detail = message === null ? "" : `: ${message}`;
    if (status === 401 || status === 403) {
      if (this.#options.token === null) {
        return new ImagedriftError(
          "unauthenticated",
          `the collector needs a token: set --token or ${TOKEN_ENV} to the one in the collector's --token-file`,
        );
      }
      const code = status === 401 ? "unauthenticated" : "permission-denied";
      return new ImagedriftError(
        code,
        `the collector refused the token from --token or ${TOKEN_ENV} (HTTP ${status}${detail}): it must match the collector's --token-file`,
      );
    }
    if (status === 400) return new ImagedriftError("invalid-argument", `the collector rejected the request${detail}`);
    // A collector names what it did not find (a node, a job); a bare 404, or its "no route", means the path is wrong.
    if (status === 404 && (message === null || message.startsWith("no route "))) {
      const [method = "GET", path = ""] = request.split(" ");
      return this.#notTheApi(method as Method, path, `with HTTP 404${detail}`);
    }
    if (status === 404) return new ImagedriftError("not-found", message ?? `not found: ${request} (HTTP 404)`);
    if (status === 409) return new ImagedriftError("failed-precondition", `the collector refused${detail} (HTTP 409)`);
    if (status === 429) {
      return new ImagedriftError("resource-exhausted", `the collector is busy (HTTP 429)${detail}; try again later`);
    }
    if (status >= 500) return new ImagedriftError("internal", `the collector failed (HTTP ${status})${detail}`);
    return new ImagedriftError("invalid-argument", `the collector answered ${request} with HTTP ${status}${detail}`);
  }
}
