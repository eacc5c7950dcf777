/**
 * A counting HTTP proxy on 127.0.0.1 in front of a lab registry: forwards every
 * request as is and records `METHOD /path` (query dropped), so that a test
 * counts what really reached the registry. The resolver reaches it as the
 * registry's `mirror`. A fault, when given, answers some requests in the
 * registry's place (a status without body) and may delay every answer.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface CountingProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Every forwarded request, `METHOD /path`. */
  readonly seen: string[];
  count(method: string, path?: string): number;
  close(): Promise<void>;
}

export interface ProxyFault {
  /** A status to answer instead of the registry's for `METHOD /path`; undefined forwards the request. */
  answer?: (method: string, path: string) => number | undefined;
  /** Every answer waits this long (a slow registry). */
  delayMs?: number;
}

export async function startCountingProxy(upstream: string, fault: ProxyFault = {}): Promise<CountingProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    seen.push(`${req.method} ${path}`);
    if (fault.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    const status = fault.answer?.(req.method ?? "", path);
    if (status !== undefined) {
      req.resume();
      res.writeHead(status, { "content-length": "0", "docker-distribution-api-version": "registry/2.0" }).end();
      return;
    }
    const forward = request(
      new URL(req.url ?? "/", upstream),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    count: (method, path) =>
      seen.filter((s) => s.startsWith(`${method} `) && (path === undefined || s === `${method} ${path}`)).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
