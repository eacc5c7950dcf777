/**
 * The HTTP half of the findings benchmark, on the loaded collector of ingest.mjs: p99 of GET /api/v1/findings,
 * /api/v1/tags and /healthz under 20 closed-loop clients with each Accept-Encoding, and every page of the
 * lists read one after another as the CLI and the web page read them.
 */
import { getInTurn, load, readAllPages } from "./http-load.mjs";
import { fmtMs, MIB, median, monotonicMicros, percentile } from "./measure.mjs";
import { row } from "./report.mjs";

export const HTTP_TIMEOUT_MS = 120_000;

/**
 * Runs the loads against `url`, logging as it goes and recording each one's time window in `windows` (for the
 * CPU profile); returns the rows, to be emitted once every load has run.
 */
export async function httpRows({ url, count, httpMs, log, windows }) {
  // Clients that accept gzip (browsers over plain HTTP, the CLI's fetch), then br too (browsers over HTTPS,
  // curl --compressed), then neither.
  const runs = [
    ["/healthz", "gzip"],
    ["/api/v1/findings", "gzip"],
    ["/api/v1/tags", "gzip"],
    ["/api/v1/findings", "gzip, deflate, br"],
    ["/api/v1/findings", null],
    ["/api/v1/tags", null],
  ];
  const keyOf = (path, acceptEncoding) =>
    acceptEncoding === "gzip" ? path : `${path} ${acceptEncoding === null ? "identity" : "br"}`;
  const http = {};
  for (const [path, acceptEncoding] of runs) {
    const key = keyOf(path, acceptEncoding);
    const asked =
      acceptEncoding === null ? " without Accept-Encoding" : acceptEncoding === "gzip" ? "" : ` (${acceptEncoding})`;
    log(`findings: GET ${path}${asked}, 20 clients for ${httpMs / 1000} s`);
    const from = monotonicMicros();
    http[key] = await load({
      url: `${url}${path}`,
      clients: 20,
      durationMs: httpMs,
      timeoutMs: HTTP_TIMEOUT_MS,
      acceptEncoding,
    });
    windows[`GET ${key}, 20 clients`] = [from, monotonicMicros()];
    const r = http[key];
    log(
      `  ${r.latencies.length} answers, p50 ${fmtMs(percentile(r.latencies, 50))}, p99 ${fmtMs(percentile(r.latencies, 99))}, ${(r.bytes / MIB).toFixed(2)} MiB each, ${r.errors} errors ${JSON.stringify(r.statuses)}`,
    );
  }
  // The whole lists, page after page, as the CLI and the web page read them (the tags also as summaries, as
  // `imagedrift tags` reads them for its table); the peer is as many GET /healthz.
  const whole = {};
  for (const path of ["/api/v1/findings", "/api/v1/tags", "/api/v1/tags?view=summary"]) {
    log(`findings: every page of GET ${path}, one client following nextCursor, 5 times`);
    const from = monotonicMicros();
    const reads = [];
    const floor = [];
    for (let i = 0; i < 5; i++) {
      const read = await readAllPages(`${url}${path}`);
      reads.push(read);
      floor.push(await getInTurn(`${url}/healthz`, read.pages));
    }
    windows[`every page of ${path}`] = [from, monotonicMicros()];
    whole[path] = { reads, floor };
    const r = reads[0];
    log(
      `  ${r.pages} pages, ${r.items} items, ${(r.bytes / MIB).toFixed(2)} MiB of JSON; ${reads.map((x) => fmtMs(x.ms)).join(", ")}`,
    );
  }
  return [...loadRows({ http, count, httpMs }), ...wholeListRows({ whole, count })];
}

/** A row per load but /healthz, which is their peer. */
function loadRows({ http, count, httpMs }) {
  const healthz = http["/healthz"];
  // With no answer at all, the request timeout is a lower bound of the p99.
  const p99 = (r) => (r.latencies.length > 0 ? percentile(r.latencies, 99) : HTTP_TIMEOUT_MS);
  const variants = {
    gzip: { suffix: "", note: "Accept-Encoding: gzip (browsers over plain HTTP, Node's fetch). " },
    br: {
      suffix: ", Accept-Encoding br",
      note: "Accept-Encoding: gzip, deflate, br (browsers over HTTPS, curl --compressed): the collector sends br. ",
    },
    identity: {
      suffix: ", without Accept-Encoding",
      note: "The same answers uncompressed, for clients that accept no coding. ",
    },
  };
  return Object.keys(http)
    .filter((k) => k !== "/healthz")
    .map((key) => {
      const r = http[key];
      const [path, coding = "gzip"] = key.split(" ");
      const variant = variants[coding];
      return row({
        name: `findings: GET ${path} p99, 20 clients, ${count} nodes${variant.suffix}`,
        value: p99(r),
        unit: "ms",
        peer: "GET /healthz p99, 20 clients, same collector and heartbeats",
        peerValue: p99(healthz),
        target: coding === "gzip" ? "value <= 50" : null,
        notes:
          variant.note +
          (r.latencies.length === 0
            ? `NO ANSWER: every request timed out after ${HTTP_TIMEOUT_MS / 1000} s, so the value is a lower bound. `
            : "") +
          `${r.latencies.length} answers in ${httpMs / 1000} s (closed loop, keep-alive; p99 of fewer than 100 is near the max), ` +
          `p50 ${percentile(r.latencies, 50).toFixed(1)} ms, body ${(r.bytes / MIB).toFixed(2)} MiB, ${r.errors} errors${r.lastError ? ` (${r.lastError})` : ""}; ` +
          `/healthz: ${healthz.latencies.length} answers, p50 ${percentile(healthz.latencies, 50).toFixed(2)} ms.`,
      });
    });
}

/** A row per list read page after page; its peer is as many GET /healthz. */
function wholeListRows({ whole, count }) {
  return Object.entries(whole).map(([path, { reads, floor }]) => {
    const r = reads[0];
    return row({
      name: `findings: every page of GET ${path}, one client, ${count} nodes`,
      value: median(reads.map((x) => x.ms)),
      unit: "ms",
      peer: `as many GET /healthz one after another (${r.pages})`,
      peerValue: median(floor),
      target: null,
      notes:
        `Node's fetch (gzip, br) following nextCursor, as the CLI and the web page read a list: ${r.pages} pages, ` +
        `${r.items} items, ${(r.bytes / MIB).toFixed(2)} MiB of JSON in all; median of 5 (${reads.map((x) => x.ms.toFixed(0)).join(", ")} ms).`,
    });
  });
}
