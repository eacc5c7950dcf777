/**
 * A TCP proxy on 127.0.0.1 between agents and the collector, to cut the
 * network and restore it. Cut: every open connection is destroyed and every
 * new one is accepted and dropped at once (as a broken path would), and its
 * time logged, so that a test reads how often clients try again.
 */
import { createConnection, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** `127.0.0.1:PORT` to dial instead of the target. */
  readonly address: string;
  /** performance.now() of every connection accepted while cut. */
  readonly refused: readonly number[];
  readonly isCut: boolean;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Proxies to `target` (`host:port`). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  const open = new Set<Socket>();
  const refused: number[] = [];
  let isCut = false;
  const server = createServer((client) => {
    if (isCut) {
      refused.push(performance.now());
      client.destroy();
      return;
    }
    const upstream = createConnection({ host, port });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(a);
      a.pipe(b);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        open.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  return {
    address: `127.0.0.1:${address.port}`,
    refused,
    get isCut() {
      return isCut;
    },
    cut() {
      isCut = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        isCut = true;
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
