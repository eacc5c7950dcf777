/**
 * Hands the collector's CA certificate to the agents
 * (docs/ARCHITECTURE.md#agent-collector-tls): it goes under key `ca.crt`
 * into Secret `imagedrift-collector-ca` in the collector's namespace, which
 * the agents mount. The Secret ships empty in deploy/base, so the collector
 * only reads and updates it (its Role names that one Secret) and never
 * creates anything; kubectl apply's three-way merge keeps the data it added.
 * Only the certificate goes there, never a key. Failures are logged and
 * retried with backoff while the collector serves on: agents given the CA
 * another way still connect.
 */
import { backoffMs, type Logger, toImagedriftError } from "@imagedrift/core";
import type { V1Secret } from "@kubernetes/client-node";

/** The Secret and key agents read the CA from (a contract with deploy/base and the agents' --tls-ca). */
export const CA_SECRET = { name: "imagedrift-collector-ca", key: "ca.crt" } as const;

/** The two calls made, as CoreV1Api of @kubernetes/client-node has them. */
export interface SecretApi {
  readNamespacedSecret(request: { name: string; namespace: string }): Promise<V1Secret>;
  replaceNamespacedSecret(request: { name: string; namespace: string; body: V1Secret }): Promise<V1Secret>;
}

export interface CaPublisherOptions {
  api: SecretApi;
  namespace: string;
  log: Logger;
  /** Retry delays; default from 1 s doubling to 5 min. */
  retry?: { baseMs: number; maxMs: number };
  /** Told after each attempt: null when the Secret holds the CA, else why not. */
  onAttempt?: (problem: string | null) => void;
}

/** An API error said in one line: status code and the API server's message; nothing of the request. */
function describe(thrown: unknown): string {
  const error = thrown as { code?: unknown; body?: unknown };
  if (typeof error.code !== "number") return toImagedriftError(thrown).message;
  let message: unknown;
  try {
    message = (typeof error.body === "string" ? JSON.parse(error.body) : error.body)?.message;
  } catch {
    message = undefined;
  }
  const hint =
    error.code === 404
      ? " (it ships empty in deploy/base: apply the manifests)"
      : error.code === 403
        ? " (the collector's Role must grant get and update on it)"
        : "";
  return `HTTP ${error.code}${typeof message === "string" ? `: ${message}` : ""}${hint}`;
}

export class CaPublisher {
  readonly #options: CaPublisherOptions;
  #wanted: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #running = false;
  #stopped = false;

  constructor(options: CaPublisherOptions) {
    this.#options = options;
  }

  /** Makes the Secret hold `caPem`, now and after failures, until it does or stop() is called. */
  publish(caPem: string): void {
    this.#wanted = caPem;
    this.#attempt = 0;
    clearTimeout(this.#timer);
    void this.#try();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #try(): Promise<void> {
    if (this.#running || this.#stopped || this.#wanted === undefined) return;
    this.#running = true;
    const wanted = this.#wanted;
    const { api, namespace, log } = this.#options;
    const where = `Secret ${namespace}/${CA_SECRET.name}`;
    let problem: string | null = null;
    try {
      const encoded = Buffer.from(wanted).toString("base64");
      const secret = await api.readNamespacedSecret({ name: CA_SECRET.name, namespace });
      if (secret.data?.[CA_SECRET.key] !== encoded) {
        // The read's resourceVersion goes back with it: a change made meanwhile answers 409 and is read again.
        const body: V1Secret = { ...secret, data: { ...secret.data, [CA_SECRET.key]: encoded } };
        await api.replaceNamespacedSecret({ name: CA_SECRET.name, namespace, body });
        log.info("published the CA certificate for the agents", { secret: where, key: CA_SECRET.key });
      }
    } catch (thrown) {
      problem = describe(thrown);
    }
    this.#running = false;
    this.#options.onAttempt?.(problem);
    if (this.#wanted !== wanted) return void this.#try();
    if (problem === null || this.#stopped) return;
    this.#attempt += 1;
    const retry = this.#options.retry ?? { baseMs: 1000, maxMs: 300_000 };
    const delay = backoffMs({ ...retry, jitter: "half" }, this.#attempt);
    log.warn("cannot publish the CA certificate for the agents; serving on, retrying", {
      secret: where,
      problem,
      attempt: this.#attempt,
      retryInMs: delay,
    });
    this.#timer = setTimeout(() => void this.#try(), delay);
    this.#timer.unref();
  }
}
