/**
 * TEST DOUBLE of the collector's REST API, for the CLI's unit tests only.
 * A real HTTP server on 127.0.0.1, port 0, that answers with canned docs/ARCHITECTURE.md#rest-api
 * bodies (see api-fixtures.fake.ts, job-fixtures.fake.ts) and records what
 * it was asked, request bodies included. A route may answer a sequence (a
 * job going pending → running → partial, one answer per request, the last
 * repeated) or drop the connection (a collector going away mid-follow).
 * It is not the collector and proves nothing about it; the collector's own
 * tests and the lab own that. Excluded from the build (`*.fake.ts`).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface CannedResponse {
  status?: number;
  body: unknown;
  /** Answer this late, to exercise --timeout. */
  delayMs?: number;
  /** Send this raw text instead of JSON. */
  raw?: string;
  /** Drop the connection without answering. */
  destroy?: boolean;
}

/** One answer, or successive answers (the last one repeats). */
export type CannedRoute = CannedResponse | CannedResponse[];

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/api/v1/tags?status=stale`. */
  url: string;
  authorization: string | undefined;
  /** The JSON body, when one was sent. */
  body?: unknown;
}

export interface FakeCollectorOptions {
  /**
   * Keyed by `METHOD path?query` or `METHOD path`; a key without a method
   * (`path?query` exact, or `path` for any query) answers GET only.
   */
  routes: Record<string, CannedRoute>;
  /** When set, every request needs `Authorization: Bearer <token>` (else 401). */
  token?: string;
}

export const errorBody = (code: string, message: string) => ({ error: { code, message } });

export class FakeCollector {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #options: FakeCollectorOptions;
  /** How many times each route key has answered, for sequences. */
  readonly #served = new Map<string, number>();

  private constructor(options: FakeCollectorOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const method = request.method ?? "";
        const url = request.url ?? "/";
        const recorded: RecordedRequest = { method, url, authorization: request.headers.authorization };
        const text = Buffer.concat(chunks).toString("utf8");
        if (text !== "") recorded.body = JSON.parse(text);
        this.requests.push(recorded);
        const canned = this.#answer(method, url, request.headers.authorization);
        const send = () => {
          if (canned.destroy) {
            response.socket?.destroy();
            return;
          }
          response.writeHead(canned.status ?? 200, { "content-type": "application/json" });
          response.end(canned.raw ?? JSON.stringify(canned.body));
        };
        if (canned.delayMs === undefined) send();
        else setTimeout(send, canned.delayMs).unref();
      });
    });
  }

  static async start(options: FakeCollectorOptions): Promise<FakeCollector> {
    const fake = new FakeCollector(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The paths asked for, in order. */
  get paths(): string[] {
    return this.requests.map((r) => r.url);
  }

  /** The requests of one method (and path, when given). */
  requestsOf(method: string, path?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (path === undefined || r.url === path));
  }

  #answer(method: string, url: string, authorization: string | undefined): CannedResponse {
    if (this.#options.token !== undefined && authorization !== `Bearer ${this.#options.token}`) {
      return { status: 401, body: errorBody("unauthenticated", "missing or invalid bearer token") };
    }
    const path = url.split("?")[0] ?? url;
    const keys = [`${method} ${url}`, `${method} ${path}`, ...(method === "GET" ? [url, path] : [])];
    const key = keys.find((k) => this.#options.routes[k] !== undefined);
    const route = key === undefined ? undefined : this.#options.routes[key];
    if (key === undefined || route === undefined) {
      return { status: 404, body: errorBody("not-found", `no route ${method} ${path}`) };
    }
    if (!Array.isArray(route)) return route;
    const served = this.#served.get(key) ?? 0;
    this.#served.set(key, served + 1);
    return route[Math.min(served, route.length - 1)] ?? { status: 500, body: errorBody("internal", "empty sequence") };
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** A loopback port nothing listens on (bound, then closed): connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
