/**
 * TEST DOUBLE of the collector's REST API, for the CLI's unit tests only.
 * A real HTTP server on 127.0.0.1, port 0, that answers GETs with canned
 * SPEC §7 bodies (see api-fixtures.fake.ts) and records what it was asked.
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
}

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/api/v1/tags?status=stale`. */
  url: string;
  authorization: string | undefined;
}

export interface FakeCollectorOptions {
  /** Keyed by `path?query` (exact) or `path` (any query). */
  routes: Record<string, CannedResponse>;
  /** When set, every request needs `Authorization: Bearer <token>` (else 401). */
  token?: string;
}

export const errorBody = (code: string, message: string) => ({ error: { code, message } });

export class FakeCollector {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #options: FakeCollectorOptions;

  private constructor(options: FakeCollectorOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      const url = request.url ?? "/";
      this.requests.push({ method: request.method ?? "", url, authorization: request.headers.authorization });
      const canned = this.#answer(url, request.headers.authorization);
      const send = () => {
        response.writeHead(canned.status ?? 200, { "content-type": "application/json" });
        response.end(canned.raw ?? JSON.stringify(canned.body));
      };
      if (canned.delayMs === undefined) send();
      else setTimeout(send, canned.delayMs).unref();
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

  #answer(url: string, authorization: string | undefined): CannedResponse {
    if (this.#options.token !== undefined && authorization !== `Bearer ${this.#options.token}`) {
      return { status: 401, body: errorBody("unauthenticated", "missing or invalid bearer token") };
    }
    const path = url.split("?")[0] ?? url;
    const canned = this.#options.routes[url] ?? this.#options.routes[path];
    return canned ?? { status: 404, body: errorBody("not-found", `no route ${path}`) };
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
