/**
 * A FAKE Kubernetes API server for tests: a small node:http server on
 * 127.0.0.1 (port 0) that speaks the part of the API the collector uses.
 * It is a test double, not Kubernetes: no validation, no defaulting, no auth.
 *
 * - list: `GET /api/v1/pods`, `/api/v1/nodes`, `/apis/apps/v1/replicasets`,
 *   `/apis/batch/v1/jobs`, … (and per namespace), with the list's
 *   `metadata.resourceVersion`;
 * - get: `GET /apis/apps/v1/namespaces/NS/replicasets/NAME`, `/api/v1/namespaces/NS/secrets/NAME`,
 *   `…/serviceaccounts/NAME`, … (404 Status when absent);
 * - update: `PUT` of an object by name (404 when absent, 409 when its
 *   metadata.resourceVersion is not the stored one); `PATCH` with a JSON
 *   merge patch (`application/merge-patch+json`, others 415);
 * - watch: `?watch=true&resourceVersion=RV`, a chunked stream of JSON lines
 *   `{type, object}`: the events after RV, then live ones. A watch from a
 *   resourceVersion older than the last `expire()` gets an ERROR event with
 *   a 410 Status and the stream ends, as the API server does when its event
 *   history was compacted.
 * - faults: `expire()` sends that 410 to the open watches; `dropConnections()`
 *   destroys their sockets mid-stream; `failing = true` answers 503 to
 *   everything; `goneAlways = true` answers 410 to every watch.
 *
 * The resources and paths are in fake-kube-resources.fake.ts, the objects and
 * their event history (one global resourceVersion) in fake-kube-store.fake.ts.
 */
import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  inRouteNamespace,
  jsonMergePatch,
  type KubeObject,
  kubeStatus,
  parseRoute,
  RESOURCES,
  type Resource,
  type Route,
} from "./fake-kube-resources.fake.js";
import { FakeKubeStore, type StoredEvent } from "./fake-kube-store.fake.js";

export { type KubeObject, RESOURCES, type Resource } from "./fake-kube-resources.fake.js";

interface OpenWatch {
  resource: Resource;
  namespace: string | null;
  res: ServerResponse;
}

export interface RecordedRequest {
  verb: "list" | "watch" | "get" | "update" | "patch";
  resource: Resource;
  resourceVersion: string | null;
}

export class FakeKubeApi {
  readonly #server = createServer((req, res) => {
    if (req.method === "PUT" || req.method === "PATCH") void this.#change(req, res);
    else this.#handle(req.url ?? "/", res);
  });
  readonly #store = new FakeKubeStore((event) => this.#toWatches(event));
  readonly #watches = new Set<OpenWatch>();
  /** Watches from a resourceVersion older than this one are answered 410. */
  #compactedAt = 0;
  /** Answer every watch with 410 Gone, even one from a fresh list (a misbehaving server). */
  goneAlways = false;
  /** Answer 503 to every request (the API server is down). */
  failing = false;
  readonly requests: RecordedRequest[] = [];

  static async start(): Promise<FakeKubeApi> {
    const api = new FakeKubeApi();
    await new Promise<void>((resolve) => api.#server.listen(0, "127.0.0.1", resolve));
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig for this server: plain http needs `insecure-skip-tls-verify: true` in @kubernetes/client-node. */
  kubeconfig(): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "  - name: fake",
      "    cluster:",
      `      server: ${this.url}`,
      "      insecure-skip-tls-verify: true",
      "users:",
      "  - name: fake",
      "    user:",
      "      token: fake-token",
      "contexts:",
      "  - name: fake",
      "    context: { cluster: fake, user: fake }",
      "current-context: fake",
      "",
    ].join("\n");
  }

  /** Writes the kubeconfig into `dir` and returns its path. */
  async writeKubeconfig(dir: string): Promise<string> {
    const path = join(dir, "kubeconfig");
    await writeFile(path, this.kubeconfig());
    return path;
  }

  /** Lists and watches made for `resource` so far. */
  count(verb: RecordedRequest["verb"], resource: Resource): number {
    return this.requests.filter((r) => r.verb === verb && r.resource === resource).length;
  }

  /** Creates or replaces an object (ADDED or MODIFIED); returns it as stored, with uid and resourceVersion. */
  put(resource: Resource, object: KubeObject): KubeObject {
    return this.#store.put(resource, object);
  }

  /** Deletes an object (DELETED); false when there was none. */
  delete(resource: Resource, namespace: string | null, name: string): boolean {
    return this.#store.delete(resource, namespace, name);
  }

  /**
   * Runs `change` (puts and deletes) without any watch seeing it, as if its
   * events had been compacted away: only a relist shows it.
   */
  quietly(change: () => void): void {
    this.#store.quietly(change);
  }

  /** Compacts the event history: open watches get a 410 Gone ERROR event and end; older resourceVersions get 410. */
  expire(): void {
    this.#compactedAt = this.#store.resourceVersion;
    for (const watch of this.#watches) this.#gone(watch.res);
    this.#watches.clear();
  }

  /** Destroys the sockets of every open watch, mid-stream. */
  dropConnections(): void {
    for (const watch of this.#watches) watch.res.socket?.destroy();
    this.#watches.clear();
  }

  /** Open watch streams now. */
  get openWatches(): number {
    return this.#watches.size;
  }

  async close(): Promise<void> {
    this.dropConnections();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #toWatches({ resource, type, object }: StoredEvent): void {
    for (const watch of this.#watches) {
      if (watch.resource !== resource) continue;
      if (watch.namespace !== null && object.metadata.namespace !== watch.namespace) continue;
      watch.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  #gone(res: ServerResponse): void {
    const expired = kubeStatus(410, "Expired", "too old resource version");
    res.end(`${JSON.stringify({ type: "ERROR", object: expired })}\n`);
  }

  #json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  #handle(url: string, res: ServerResponse): void {
    const { pathname, searchParams } = new URL(url, "http://fake");
    const route = parseRoute(pathname);
    if (route === null) {
      this.#json(res, 404, kubeStatus(404, "NotFound", `the fake has no ${pathname}`));
      return;
    }
    const watch = searchParams.get("watch") === "true";
    const verb = watch ? "watch" : route.name === null ? "list" : "get";
    this.requests.push({ verb, resource: route.resource, resourceVersion: searchParams.get("resourceVersion") });
    const objects = this.#store.objects(route.resource).filter((o) => inRouteNamespace(route, o));
    if (this.failing) this.#json(res, 503, kubeStatus(503, "ServiceUnavailable", "the fake is failing"));
    else if (verb === "get") {
      const found = objects.find((o) => o.metadata.name === route.name);
      if (found !== undefined) this.#json(res, 200, found);
      else this.#json(res, 404, kubeStatus(404, "NotFound", `${route.resource} "${route.name}" not found`));
    } else if (verb === "list") {
      const info = RESOURCES[route.resource];
      const metadata = { resourceVersion: String(this.#store.resourceVersion) };
      this.#json(res, 200, { kind: `${info.kind}List`, apiVersion: info.apiVersion, metadata, items: objects });
    } else {
      this.#watch(route, Number(searchParams.get("resourceVersion") ?? "0"), res, objects);
    }
  }

  /** PUT (replace, checking resourceVersion) or PATCH (JSON merge patch) of one object. */
  async #change(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = parseRoute(new URL(req.url ?? "/", "http://fake").pathname);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as KubeObject;
    if (route?.name == null) return this.#json(res, 405, kubeStatus(405, "MethodNotAllowed", "name an object"));
    const verb = req.method === "PUT" ? "update" : "patch";
    this.requests.push({ verb, resource: route.resource, resourceVersion: body.metadata?.resourceVersion ?? null });
    const found = this.#store.get(route.resource, route.namespace, route.name);
    if (this.failing) return this.#json(res, 503, kubeStatus(503, "ServiceUnavailable", "the fake is failing"));
    if (found === undefined)
      return this.#json(res, 404, kubeStatus(404, "NotFound", `${route.resource} "${route.name}" not found`));
    if (verb === "patch" && !req.headers["content-type"]?.startsWith("application/merge-patch+json")) {
      return this.#json(res, 415, kubeStatus(415, "UnsupportedMediaType", "the fake takes merge patches only"));
    }
    const stale = verb === "update" && body.metadata?.resourceVersion !== undefined;
    if (stale && body.metadata.resourceVersion !== found.metadata.resourceVersion) {
      return this.#json(res, 409, kubeStatus(409, "Conflict", "the object has been modified"));
    }
    const next = verb === "update" ? body : (jsonMergePatch(found, body) as KubeObject);
    this.#json(
      res,
      200,
      this.put(route.resource, { ...next, metadata: { ...next.metadata, uid: found.metadata.uid } }),
    );
  }

  /** A watch stream: the events after `since` (or the objects, without one), then live events. */
  #watch(route: Route, since: number, res: ServerResponse, objects: readonly KubeObject[]): void {
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    if (this.goneAlways || (since > 0 && since < this.#compactedAt)) {
      this.#gone(res);
      return;
    }
    const backlog =
      since > 0
        ? this.#store.eventsSince(route.resource, since).filter((e) => inRouteNamespace(route, e.object))
        : objects.map((object) => ({ type: "ADDED" as const, object }));
    for (const event of backlog) res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    const open: OpenWatch = { resource: route.resource, namespace: route.namespace, res };
    this.#watches.add(open);
    res.on("close", () => this.#watches.delete(open));
  }
}
