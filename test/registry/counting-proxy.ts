/**
 * A counting HTTP proxy on 127.0.0.1 in front of a lab registry: forwards every
 * request as is and records `METHOD /path` (query dropped), so that a test
 * counts what really reached the registry. The resolver reaches it as the
 * registry's `mirror`.
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

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${(req.url ?? "/").split("?")[0]}`);
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
