/**
 * A FAKE registry: a scripted HTTP server on 127.0.0.1 that stands in front of
 * the lab's real registry. By default it forwards everything (so containerd
 * pulls through it and records repo digests on its host); a test then scripts
 * how the manifest of a tag answers: a status (500, 429 with Retry-After), no
 * answer at all (a timeout), or a late answer. Every request is logged with
 * its time, so that a test reads the client's retry spacing from it.
 */
import { createServer, request } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type FakeAnswer =
  | { kind: "forward" }
  | { kind: "status"; status: number; retryAfter?: string }
  | { kind: "hang" }
  | { kind: "slow"; delayMs: number };

export interface FakeRequest {
  method: string;
  /** `/v2/<repo>/manifests/<tag>`, query dropped. */
  path: string;
  /** performance.now() when it arrived. */
  at: number;
}

export interface FakeRegistry {
  /** `127.0.0.1:PORT`: the host image references name. */
  readonly host: string;
  readonly log: readonly FakeRequest[];
  /** How `GET`/`HEAD /v2/<repo>/manifests/<tag>` answers from now on. */
  script(repoTag: string, answer: FakeAnswer): void;
  /** The manifest requests for `repo:tag` since its last `script` (all of them when never scripted), in order. */
  manifestRequests(repoTag: string): FakeRequest[];
  close(): Promise<void>;
}

function manifestPath(repoTag: string): string {
  const colon = repoTag.lastIndexOf(":");
  return `/v2/${repoTag.slice(0, colon)}/manifests/${repoTag.slice(colon + 1)}`;
}

/** Starts a fake registry forwarding to `upstream` (`http://127.0.0.1:PORT` of the lab registry). */
export async function startFakeRegistry(upstream: string): Promise<FakeRegistry> {
  const log: FakeRequest[] = [];
  const scripts = new Map<string, { answer: FakeAnswer; since: number }>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    log.push({ method: req.method ?? "", path, at: performance.now() });
    const forward = () => {
      const upstreamRequest = request(
        new URL(req.url ?? "/", upstream),
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstreamRequest.on("error", () => res.writeHead(502).end());
      req.pipe(upstreamRequest);
    };
    const answer = scripts.get(path)?.answer ?? { kind: "forward" };
    switch (answer.kind) {
      case "forward":
        forward();
        return;
      case "status":
        req.resume();
        res.writeHead(answer.status, {
          "content-type": "application/json",
          "docker-distribution-api-version": "registry/2.0",
          ...(answer.retryAfter === undefined ? {} : { "retry-after": answer.retryAfter }),
        });
        res.end(JSON.stringify({ errors: [{ code: answer.status === 429 ? "TOOMANYREQUESTS" : "UNKNOWN" }] }));
        return;
      case "hang":
        req.resume();
        return;
      case "slow": {
        const timer = setTimeout(() => {
          timers.delete(timer);
          forward();
        }, answer.delayMs);
        timers.add(timer);
        return;
      }
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    log,
    script: (repoTag, answer) => scripts.set(manifestPath(repoTag), { answer, since: log.length }),
    manifestRequests: (repoTag) => {
      const path = manifestPath(repoTag);
      return log.slice(scripts.get(path)?.since ?? 0).filter((r) => r.path === path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
