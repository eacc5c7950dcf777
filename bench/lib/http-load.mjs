/**
 * Closed-loop HTTP load: `clients` keep-alive connections, each sending its
 * next GET as soon as the previous response has been read to the end, for
 * `durationMs`. Latency is request start to last byte. Bodies are counted (as
 * sent) and dropped, so that a large answer costs the client no memory. Each
 * request says `Accept-Encoding: gzip` unless `acceptEncoding` says otherwise
 * (browsers and Node's fetch, the CLI's, offer gzip over plain HTTP and add br
 * over HTTPS; curl --compressed offers both); null leaves it out.
 *
 * Each client has a source address of its own (127.0.0.10, .11, …: all of
 * 127/8 is loopback), as distinct clients have: the collector limits REST
 * requests per client address, and 20 clients sharing one address would
 * share one budget.
 */
import { Agent, request } from "node:http";

function get(agent, url, timeoutMs, acceptEncoding) {
  return new Promise((resolve) => {
    const started = performance.now();
    const headers = acceptEncoding === null ? {} : { "accept-encoding": acceptEncoding };
    const req = request(url, { agent, timeout: timeoutMs, headers }, (res) => {
      let bytes = 0;
      res.on("data", (chunk) => {
        bytes += chunk.length;
      });
      res.on("end", () => resolve({ status: res.statusCode, bytes, ms: performance.now() - started }));
      res.on("error", (error) => resolve({ status: 0, bytes, ms: performance.now() - started, error }));
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", (error) => resolve({ status: 0, bytes: 0, ms: performance.now() - started, error }));
    req.end();
  });
}

/** `{ latencies (ms, successful requests), errors, bytes (last body), statuses }`. */
export async function load({ url, clients = 20, durationMs, timeoutMs = 120_000, acceptEncoding = "gzip" }) {
  const agents = Array.from(
    { length: clients },
    (_, i) => new Agent({ keepAlive: true, maxSockets: 1, localAddress: `127.0.0.${10 + i}` }),
  );
  const latencies = [];
  const statuses = {};
  let errors = 0;
  let lastError = "";
  let bytes = 0;
  const end = performance.now() + durationMs;
  const client = async (agent) => {
    while (performance.now() < end) {
      const r = await get(agent, url, timeoutMs, acceptEncoding);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 200) {
        latencies.push(r.ms);
        bytes = r.bytes;
      } else {
        errors++;
        lastError = r.error?.message ?? `HTTP ${r.status}`;
      }
    }
  };
  await Promise.all(agents.map(client));
  for (const agent of agents) agent.destroy();
  return { latencies, errors, lastError, bytes, statuses };
}

/**
 * Reads a whole paginated list as the CLI and the web page do: one client,
 * GET after GET following `nextCursor`, bodies decompressed and parsed
 * (Node's fetch, which offers gzip and br). `{ ms, pages, items, bytes }`, the
 * bytes being JSON after decompression.
 */
export async function readAllPages(url) {
  const started = performance.now();
  let pages = 0;
  let items = 0;
  let bytes = 0;
  let cursor = null;
  do {
    const page = cursor === null ? url : `${url}${url.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}`;
    const response = await fetch(page);
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${page}: ${response.status} ${text.slice(0, 200)}`);
    const body = JSON.parse(text);
    pages += 1;
    items += body.items.length;
    bytes += Buffer.byteLength(text);
    cursor = body.nextCursor ?? null;
  } while (cursor !== null);
  return { ms: performance.now() - started, pages, items, bytes };
}

/** `count` GETs of `url` one after another with Node's fetch, bodies read: the round trips' own time, in ms. */
export async function getInTurn(url, count) {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const response = await fetch(url);
    await response.text();
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  }
  return performance.now() - started;
}
