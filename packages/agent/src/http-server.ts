import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** Null when healthy or ready; otherwise the reason, shown in the response body. */
export type Probe = () => string | null;

export interface AgentHttpOptions {
  host: string;
  port: number;
  registry: Registry;
  live: Probe;
  ready: Probe;
  /** Said after /readyz's verdict, e.g. how the agent learns of changes (`mode: events`). */
  readyDetail?: () => string;
}

/** The agent's only HTTP surface: metrics and health. Nothing here acts on the node. */
export async function startAgentHttp(options: AgentHttpOptions): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    const probe = (check: Probe, detail?: () => string) => {
      const problem = check();
      const extra = detail ? `; ${detail()}` : "";
      res.writeHead(problem ? 503 : 200, { "content-type": "text/plain" }).end(`${problem ?? "ok"}${extra}\n`);
    };
    switch (path) {
      case "/metrics":
        options.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": options.registry.contentType }).end(text),
          (error: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${String(error)}\n`),
        );
        return;
      case "/healthz":
        probe(options.live);
        return;
      case "/readyz":
        probe(options.ready, options.readyDetail);
        return;
      default:
        res
          .writeHead(404, { "content-type": "text/plain" })
          .end("not found: the agent serves /metrics, /healthz and /readyz\n");
    }
  });
  // Requests node's parser refuses never reach the handler: a method HTTP does not know is still "not allowed".
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
    const [status, text] = error.code === "HPE_INVALID_METHOD" ? [405, "Method Not Allowed"] : [400, "Bad Request"];
    const body = status === 405 ? "method not allowed\n" : "bad request\n";
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\n${status === 405 ? "Allow: GET, HEAD\r\n" : ""}Content-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host || undefined, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
