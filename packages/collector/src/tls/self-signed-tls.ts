/**
 * The collector's self-signed TLS mode at run time
 * (docs/ARCHITECTURE.md#agent-collector-tls): loads or makes the CA and the
 * server certificate (cert-store.ts), serves the certificate to the gRPC
 * listener through a certificate provider, so that a renewal reaches new
 * handshakes without a restart, checks twice a day whether it is due, and
 * has the CA published for the agents (ca-publisher.ts).
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "@imagedrift/core";
import { toImagedriftError } from "@imagedrift/core";
import type { CaPublisher } from "./ca-publisher.js";
import { loadOrCreateTls, type StoredTls } from "./cert-store.js";

type CertificateProvider = grpc.experimental.CertificateProvider;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;
type CaListener = grpc.experimental.CaCertificateUpdateListener;

/** Holds the certificate the listener serves; grpc-js asks it for updates. */
class HeldCertificates implements CertificateProvider {
  #identity: { certificate: Buffer; privateKey: Buffer } | null = null;
  #ca: { caCertificate: Buffer } | null = null;
  readonly #identityListeners = new Set<IdentityListener>();
  readonly #caListeners = new Set<CaListener>();

  setIdentity(cert: string, key: string): void {
    this.#identity = { certificate: Buffer.from(cert), privateKey: Buffer.from(key) };
    for (const listener of this.#identityListeners) listener(this.#identity);
  }

  setCa(ca: Buffer): void {
    this.#ca = { caCertificate: ca };
  }

  // grpc-js registers its own watcher only after adding these listeners: answer on the next tick.
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    queueMicrotask(() => listener(this.#identity));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    queueMicrotask(() => listener(this.#ca));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
  }
}

export interface SelfSignedTlsOptions {
  dir: string;
  names: readonly string[];
  /** PEM CA of client certificates to require (--tls-client-ca), or null. */
  clientCa: Buffer | null;
  log: Logger;
  /** Absent when the Kubernetes API is off: the CA is then only in `dir`. */
  publisher?: CaPublisher | undefined;
  /** How often renewal is checked; default 12 h. */
  checkEveryMs?: number;
  now?: () => Date;
}

export interface SelfSignedTls {
  credentials: grpc.ServerCredentials;
  /** What is served now. */
  current(): StoredTls;
  /** Loads again and serves what changed (also what the timer does). */
  refresh(): Promise<void>;
  stop(): void;
}

export async function startSelfSignedTls(options: SelfSignedTlsOptions): Promise<SelfSignedTls> {
  const { log } = options;
  const load = () => loadOrCreateTls({ dir: options.dir, names: options.names, log, now: options.now });
  let stored = await load();
  const held = new HeldCertificates();
  held.setIdentity(stored.server.cert, stored.server.key);
  if (options.clientCa) held.setCa(options.clientCa);
  options.publisher?.publish(stored.ca.cert);
  // The d.ts names the first parameter the CA provider; grpc-js passes it on as the identity provider.
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(
    held,
    options.clientCa ? held : null,
    options.clientCa !== null,
  );
  const refresh = async () => {
    const next = await load();
    if (next.server.cert !== stored.server.cert) held.setIdentity(next.server.cert, next.server.key);
    if (next.ca.cert !== stored.ca.cert) options.publisher?.publish(next.ca.cert);
    stored = next;
  };
  const timer = setInterval(
    () => {
      refresh().catch((thrown: unknown) =>
        log.error("cannot renew the collector's server certificate; serving the current one", {
          error: toImagedriftError(thrown),
          notAfter: stored.serverNotAfter.toISOString(),
        }),
      );
    },
    options.checkEveryMs ?? 12 * 3_600_000,
  );
  timer.unref();
  return {
    credentials,
    current: () => stored,
    refresh,
    stop: () => {
      clearInterval(timer);
      options.publisher?.stop();
    },
  };
}
