/**
 * A scripted HTTP server on 127.0.0.1:0 for unit tests of the registry client:
 * the test says what each request gets (status, headers, body, a hang or a
 * dropped connection) and reads back every request it received. What real
 * registries do is proven in the lab (test/registry), not here.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FakeRequest {
  method: string;
  /** Path and query. */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string | Buffer }
  /** Never answer (for timeouts). */
  | "hang"
  /** Close the connection without an answer. */
  | "drop";

export type Script = (request: FakeRequest) => Reply | Promise<Reply>;

export interface FakeServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, as image references write it. */
  readonly host: string;
  readonly requests: FakeRequest[];
  script: Script;
  close(): Promise<void>;
}

export async function startFakeServer(script: Script): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const requests: FakeRequest[] = [];
  const state = { script };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const request: FakeRequest = {
        method: req.method ?? "",
        path: `${url.pathname}${url.search}`,
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      const reply = await state.script(request);
      if (reply === "hang") return;
      if (reply === "drop") {
        req.socket.destroy();
        return;
      }
      const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body);
      res.writeHead(reply.status, { "content-length": String(body.length), ...reply.headers });
      res.end(req.method === "HEAD" ? undefined : body);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    get script() {
      return state.script;
    },
    set script(next: Script) {
      state.script = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/** A manifest body and its digest. */
export function manifestBody(salt: string, mediaType = OCI_MANIFEST): { body: string; digest: string } {
  const body = JSON.stringify({ schemaVersion: 2, mediaType, salt });
  return { body, digest: `sha256:${createHash("sha256").update(body).digest("hex")}` };
}

/** 200 with the manifest, its type and (unless `withDigest` is false) Docker-Content-Digest. */
export function manifestReply(manifest: { body: string; digest: string }, withDigest = true): Reply {
  const headers: Record<string, string> = {
    "content-type": JSON.parse(manifest.body).mediaType as string,
    "docker-distribution-api-version": "registry/2.0",
  };
  if (withDigest) headers["docker-content-digest"] = manifest.digest;
  return { status: 200, headers, body: manifest.body };
}

/** distribution's JSON error answer. */
export function errorReply(status: number, code: string, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "docker-distribution-api-version": "registry/2.0",
      ...headers,
    },
    body: JSON.stringify({ errors: [{ code, message: code.toLowerCase().replace("_", " "), detail: null }] }),
  };
}
