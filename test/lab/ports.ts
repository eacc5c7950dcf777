/** Free loopback TCP ports, picked at run time so that several labs run side by side. */
import { createServer } from "node:net";

export const LOOPBACK = "127.0.0.1";

/**
 * Asks the kernel for a free port on 127.0.0.1 and releases it. Another
 * process may take it before the caller binds it; callers that start a server
 * on it retry with a new port when the bind fails (see `startRegistry`).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the port of a listening socket"));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
