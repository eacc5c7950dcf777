import type { FindingItem, Job, JobRequest, NodeImageItem, NodeItem, TagView } from "./api-types.js";
import type { AuthProblem } from "./registry-warning.js";

/** An API error, with the `{error: {code, message}}` body of docs/ARCHITECTURE.md#rest-api when the collector sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** A list and its raw body: an unchanged body means nothing to re-render. */
export interface Listing<T> {
  items: T[];
  raw: string;
}

export interface ApiOptions {
  /** The page's own URL: API paths are resolved against it, so a path prefix (a proxy) keeps working. */
  base: string;
  /** The token to send, when the user gave one (reads may be protected too). */
  token: () => string | null;
  timeoutMs?: number;
}

export type Api = ReturnType<typeof createApi>;

export function createApi(options: ApiOptions) {
  async function call(method: string, path: string, body?: unknown): Promise<string> {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(new URL(path, options.base), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
        cache: "no-store",
      });
    } catch (thrown) {
      throw new ApiError(0, "unavailable", `the collector could not be reached (${(thrown as Error).message})`);
    }
    const text = await response.text();
    if (response.ok) return text;
    let code = "http";
    let message = `${method} ${path}: HTTP ${response.status}`;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      code = parsed.error?.code ?? code;
      message = parsed.error?.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, code, message);
  }

  /** Every item of a list, following `nextCursor` through the pages of a paginated one (tags). */
  async function list<T>(path: string): Promise<Listing<T>> {
    const raw = await call("GET", path);
    const first = JSON.parse(raw) as { items: T[]; nextCursor?: string | null };
    const items = [...first.items];
    let cursor = first.nextCursor;
    while (typeof cursor === "string" && cursor !== "") {
      const separator = path.includes("?") ? "&" : "?";
      const page = JSON.parse(await call("GET", `${path}${separator}cursor=${encodeURIComponent(cursor)}`)) as {
        items: T[];
        nextCursor?: string | null;
      };
      items.push(...page.items);
      cursor = page.nextCursor === cursor ? null : page.nextCursor;
    }
    return { items, raw };
  }

  const enc = encodeURIComponent;
  return {
    nodes: () => list<NodeItem>("api/v1/nodes"),
    tags: () => list<TagView>("api/v1/tags"),
    findings: () => list<FindingItem>("api/v1/findings"),
    nodeImages: (node: string) => list<NodeImageItem>(`api/v1/nodes/${enc(node)}/images`),
    jobs: (limit = 10) => list<Job>(`api/v1/jobs?limit=${limit}`),
    job: async (id: string) => JSON.parse(await call("GET", `api/v1/jobs/${enc(id)}`)) as Job,
    startJob: async (request: JobRequest) => JSON.parse(await call("POST", "api/v1/jobs", request)) as Job,
    cancelJob: async (id: string) => JSON.parse(await call("DELETE", `api/v1/jobs/${enc(id)}`)) as Job,
    registryAuthProblems: async () =>
      (JSON.parse(await call("GET", "api/v1/registries")) as { authProblems: AuthProblem[] }).authProblems,
  };
}
