/**
 * The cluster's pull secrets as a credential source (`--kubernetes-pull-secrets`,
 * docs/registries.md#pull-secrets): for an image, the pods that use its
 * repository, and for each the Secrets kubelet would use — the pod's
 * `imagePullSecrets`, then its service account's — in the pod's namespace.
 *
 * Which credential wins: every matching keyring entry of those Secrets,
 * most specific key first (credential-keyring.ts); equal keys by pod
 * (namespace, then name), then by the Secret's place in the pod's list.
 * kubelet tries each matching credential in turn until a pull works; the
 * collector sends the first one only.
 *
 * Secrets and service accounts are read with `get` by name (no list, no
 * watch) and kept in memory for `ttlMs` (a rotated Secret is used at most
 * that long after the change); never stored, never logged. A Secret that
 * cannot be used (absent, forbidden, wrong type, bad JSON) is left out, with
 * one warning naming it and why, when that reason first appears.
 */
import { BoundedMap, type ImageRef, type Logger, repositoryOf } from "@imagedrift/core";
import { ApiException, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { type KeyringEntry, lookupKeyring } from "../registry/credential-keyring.js";
import type { TagCredential } from "../registry/tag-credentials.js";
import type { PodPullSecrets } from "./pod-projection.js";
import { type PullSecretObject, pullSecretEntries } from "./pull-secret-data.js";

/** Reads what the source needs; each throws an Error whose message names no secret content. */
export interface PullSecretReader {
  /** The Secret, or null when there is none (404). */
  secret(namespace: string, name: string): Promise<PullSecretObject | null>;
  /** The names in the service account's `imagePullSecrets`, or null when there is no such account. */
  serviceAccountPullSecrets(namespace: string, name: string): Promise<string[] | null>;
}

/** Reads Secrets and ServiceAccounts from the API server (RBAC: get secrets, get serviceaccounts). */
export function apiPullSecretReader(kubeConfig: KubeConfig): PullSecretReader {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const read = async <T>(what: string, get: () => Promise<T>): Promise<T | null> => {
    try {
      return await get();
    } catch (error) {
      // The exception's text carries the answer's body; only the status is kept.
      if (error instanceof ApiException && error.code === 404) return null;
      if (error instanceof ApiException && error.code === 403) {
        throw new Error(
          `get ${what} forbidden (403): is the pull-secrets RBAC component (deploy/components/pull-secrets) applied?`,
        );
      }
      const status = error instanceof ApiException ? `answered ${error.code}` : "failed";
      throw new Error(`get ${what} ${status}`);
    }
  };
  return {
    async secret(namespace, name) {
      const secret = await read(`secret ${namespace}/${name}`, () => core.readNamespacedSecret({ name, namespace }));
      if (secret === null) return null;
      return {
        type: secret.type ?? "",
        data: secret.data ?? {},
        resourceVersion: secret.metadata?.resourceVersion ?? "",
      };
    },
    async serviceAccountPullSecrets(namespace, name) {
      const account = await read(`serviceaccount ${namespace}/${name}`, () =>
        core.readNamespacedServiceAccount({ name, namespace }),
      );
      return account === null ? null : (account.imagePullSecrets ?? []).flatMap((ref) => (ref.name ? [ref.name] : []));
    },
  };
}

export interface PullSecretCredentialsOptions {
  reader: PullSecretReader;
  /** The pods whose containers use a repository (`host/repository`), in a stable order. */
  podsUsing: (repository: string) => readonly PodPullSecrets[];
  log: Logger;
  /** Resolves once the pods are known (the watcher's first list): lookups wait for it, `SYNC_WAIT_MS` at most. */
  ready?: () => Promise<void>;
  /** How long a Secret or service account read stays in use; default 60 s. */
  ttlMs?: number;
  now?: () => number;
}

export const DEFAULT_PULL_SECRET_TTL_MS = 60_000;
/** A read that failed for another reason than absence or a refusal is tried again this soon. */
const FAILED_READ_TTL_MS = 5_000;
const CACHED_OBJECTS = 10_000;
/** Before the first pod list a lookup would find no pods, and the tag would go without credentials for a round. */
const SYNC_WAIT_MS = 30_000;

interface Cached<T> {
  until: number;
  value: Promise<T>;
}

interface UsableSecret {
  name: string;
  version: string;
  entries: KeyringEntry[];
}

type Candidate = KeyringEntry & { secret: UsableSecret };

export class PullSecretCredentials {
  readonly #options: PullSecretCredentialsOptions;
  readonly #now: () => number;
  readonly #secrets = new BoundedMap<string, Cached<UsableSecret | null>>(CACHED_OBJECTS);
  readonly #accounts = new BoundedMap<string, Cached<readonly string[]>>(CACHED_OBJECTS);
  /** The problem last reported per Secret or account, so that each is logged once, not at every read. */
  readonly #reported = new BoundedMap<string, string>(CACHED_OBJECTS);

  constructor(options: PullSecretCredentialsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The credential the pods using `ref`'s repository would pull it with; undefined when none matches. Never throws. */
  async credentialsFor(ref: ImageRef): Promise<TagCredential | undefined> {
    await this.#ready();
    const image = repositoryOf(ref);
    const seen = new Set<string>();
    const candidates: Candidate[] = [];
    for (const pod of this.#options.podsUsing(image)) {
      const account = await this.#account(pod.namespace, pod.serviceAccount);
      for (const name of [...pod.secrets, ...account]) {
        const key = `${pod.namespace}/${name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const secret = await this.#secret(pod.namespace, name);
        if (secret === null) continue;
        for (const entry of secret.entries) candidates.push({ ...entry, secret });
      }
    }
    const best = lookupKeyring(candidates, image)[0];
    if (best === undefined) return undefined;
    return {
      key: `${best.secret.name}@${best.secret.version} ${best.key}`,
      source: `pull secret ${best.secret.name}`,
      credentials: best.credentials,
    };
  }

  #ready(): Promise<void> {
    const ready = this.#options.ready;
    if (ready === undefined) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SYNC_WAIT_MS);
      timer.unref();
    });
    return Promise.race([ready(), deadline]).finally(() => clearTimeout(timer));
  }

  #account(namespace: string, name: string): Promise<readonly string[]> {
    const load = async () => {
      const names = await this.#options.reader.serviceAccountPullSecrets(namespace, name);
      // No such account: its pod still has its own imagePullSecrets; nothing to warn about.
      return { value: names ?? [] };
    };
    return this.#cached(this.#accounts, `serviceaccount ${namespace}/${name}`, { load, fallback: [] });
  }

  #secret(namespace: string, name: string): Promise<UsableSecret | null> {
    const key = `${namespace}/${name}`;
    const load = async () => {
      const secret = await this.#options.reader.secret(namespace, name);
      if (secret === null) return { value: null, problem: `secret ${key} not found` };
      const parsed = pullSecretEntries(secret, key);
      if ("problem" in parsed) return { value: null, problem: parsed.problem };
      const problem = parsed.problems.length > 0 ? parsed.problems.join("; ") : undefined;
      return { value: { name: key, version: secret.resourceVersion, entries: parsed.entries }, problem };
    };
    return this.#cached(this.#secrets, `secret ${key}`, { load, fallback: null });
  }

  /** The cached value, or a new read; a read that throws is a problem (`fallback`), kept for a short while only. */
  #cached<T>(
    cache: BoundedMap<string, Cached<T>>,
    key: string,
    read: { load: () => Promise<{ value: T; problem?: string | undefined }>; fallback: T },
  ): Promise<T> {
    const now = this.#now();
    const known = cache.get(key);
    if (known !== undefined && known.until > now) return known.value;
    const entry = { until: now + (this.#options.ttlMs ?? DEFAULT_PULL_SECRET_TTL_MS) } as Cached<T>;
    entry.value = read.load().then(
      ({ value, problem }) => {
        this.#report(key, problem);
        return value;
      },
      (error: unknown) => {
        entry.until = Math.min(entry.until, this.#now() + FAILED_READ_TTL_MS);
        this.#report(key, error instanceof Error ? error.message : String(error));
        return read.fallback;
      },
    );
    cache.set(key, entry);
    return entry.value;
  }

  #report(key: string, problem: string | undefined): void {
    if (this.#reported.get(key) === problem) return;
    if (problem === undefined) this.#reported.delete(key);
    else {
      this.#reported.set(key, problem);
      this.#options.log.warn("kubernetes pull secrets: a pull secret cannot be used; pods' images go without it", {
        object: key,
        problem,
      });
    }
  }
}
