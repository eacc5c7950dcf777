/**
 * The credentials of the agents' gRPC listener (docs/ARCHITECTURE.md#agent-collector-tls):
 * plaintext, certificate files (--tls-cert/--tls-key), or the self-signed
 * mode (--tls-self-signed), with mutual TLS (--tls-client-ca) on either.
 */
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "@imagedrift/core";
import type { KubeConfig } from "@kubernetes/client-node";
import { CA_SECRET, CaPublisher } from "./ca-publisher.js";
import { serverNames, serviceAccountNamespace } from "./server-names.js";

export interface ListenerTlsConfig {
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  tlsClientCa?: string | undefined;
  tlsSelfSigned: boolean;
  tlsDir: string;
  tlsService: string;
  tlsNames: string[];
}

export interface ListenerCredentials {
  credentials: grpc.ServerCredentials;
  mode: "off" | "files" | "self-signed";
  stop(): void;
}

export async function listenerCredentials(options: {
  cfg: ListenerTlsConfig;
  /** The Kubernetes API's config when it is on: the self-signed CA is published through it. */
  kubeConfig: KubeConfig | undefined;
  log: Logger;
}): Promise<ListenerCredentials> {
  const { cfg, kubeConfig, log } = options;
  const clientCa = cfg.tlsClientCa ? readFileSync(cfg.tlsClientCa) : null;
  if (cfg.tlsCert && cfg.tlsKey) {
    const pair = { cert_chain: readFileSync(cfg.tlsCert), private_key: readFileSync(cfg.tlsKey) };
    const credentials = grpc.ServerCredentials.createSsl(clientCa, [pair], clientCa !== null);
    return { credentials, mode: "files", stop: () => {} };
  }
  if (!cfg.tlsSelfSigned) return { credentials: grpc.ServerCredentials.createInsecure(), mode: "off", stop: () => {} };
  // The namespace as in-cluster config finds it (the service account mount), else the kubeconfig context's.
  const contextNamespace = kubeConfig?.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? null;
  const namespace = serviceAccountNamespace() ?? contextNamespace;
  let publisher: CaPublisher | undefined;
  if (kubeConfig) {
    const { CoreV1Api } = await import("@kubernetes/client-node");
    publisher = new CaPublisher({ api: kubeConfig.makeApiClient(CoreV1Api), namespace: namespace ?? "default", log });
  } else {
    log.warn(
      "not publishing the CA certificate: the Kubernetes API is off (--kubernetes); give agents its ca.crt yourself",
      {
        file: `${cfg.tlsDir}/ca.crt`,
        secret: CA_SECRET.name,
      },
    );
  }
  const { startSelfSignedTls } = await import("./self-signed-tls.js");
  const tls = await startSelfSignedTls({
    dir: cfg.tlsDir,
    names: serverNames({ service: cfg.tlsService, namespace, extra: cfg.tlsNames }),
    clientCa,
    log,
    publisher,
  });
  return { credentials: tls.credentials, mode: "self-signed", stop: tls.stop };
}
