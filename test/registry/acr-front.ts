/**
 * The front of a lab Azure Container Registry on 127.0.0.1: as on
 * `<name>.azurecr.io`, one host serves the registry API, its token endpoint
 * (`/oauth2/token`, the realm of its Bearer challenge) and `/oauth2/exchange`
 * (Entra ID token → ACR refresh token). The exchange is answered here
 * (cloud-providers.fake.ts); `/oauth2/token` goes to the test's token server
 * and everything else to the real docker-registry behind. It counts what it
 * served, per path.
 */
import {
  acrExchangeReply,
  type FakeAcrExchangeOptions,
} from "../../packages/collector/src/registry/cloud-providers.fake.js";
import {
  type FakeRequest,
  type FakeServer,
  type Reply,
  startFakeServer,
} from "../../packages/collector/src/registry/fake-registry.fake.js";

export interface AcrFront {
  readonly server: FakeServer;
  /** `http://127.0.0.1:PORT/oauth2/token`: the realm to configure the registry with. */
  readonly realm: string;
  /** Where to forward: set once the registry behind and the token server run. */
  connect(target: { registryUrl: string; tokenUrl: string; exchange: FakeAcrExchangeOptions }): void;
  /** Requests it answered itself at `/oauth2/exchange`. */
  exchanges(): FakeRequest[];
}

/** Request headers a hop must not pass on (node's fetch sets its own framing; no compression, bytes pass as they are). */
const HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "accept-encoding"]);

export async function startAcrFront(): Promise<AcrFront> {
  let target: Parameters<AcrFront["connect"]>[0] | undefined;
  const server = await startFakeServer(async (request): Promise<Reply> => {
    if (target === undefined) return { status: 503, body: "not connected" };
    const exchanged = acrExchangeReply(request, target.exchange);
    if (exchanged !== undefined) return exchanged;
    const upstream =
      request.url.pathname === "/oauth2/token"
        ? `${target.tokenUrl}${request.url.search}`
        : `${target.registryUrl}${request.path}`;
    return forward(request, upstream);
  });
  return {
    server,
    realm: `${server.url}/oauth2/token`,
    connect: (next) => {
      target = next;
    },
    exchanges: () => server.requests.filter((r) => r.url.pathname === "/oauth2/exchange"),
  };
}

async function forward(request: FakeRequest, url: string): Promise<Reply> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP.has(name)) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const answer = await fetch(url, {
    method: request.method,
    headers,
    body: hasBody ? request.body : undefined,
    redirect: "manual",
  });
  const out: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    // content-length stays: a HEAD's is the manifest's size, which containerd reads.
    if (name !== "connection" && name !== "transfer-encoding" && name !== "keep-alive") out[name] = value;
  });
  return { status: answer.status, headers: out, body: Buffer.from(await answer.arrayBuffer()) };
}
