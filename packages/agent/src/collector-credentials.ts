/**
 * The agent's TLS credentials for its collector stream, read from files on
 * every connection attempt (docs/ARCHITECTURE.md#agent-collector-tls): in the
 * shipped manifests `--tls-ca` names `ca.crt` in the mounted Secret that the
 * collector fills, so the file may not be there yet (the kubelet syncs a
 * Secret's update into the volume within about a minute), and it changes
 * when the collector had to make a new CA. Until a CA is there the agent
 * waits: with --tls-ca set it never dials in plaintext.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";

export type CollectorCredentials =
  | { kind: "ready"; credentials: grpc.ChannelCredentials /** Changes when the files' content does. */; key: string }
  | { kind: "waiting"; reason: string };

export const PLAINTEXT: CollectorCredentials = {
  kind: "ready",
  credentials: grpc.credentials.createInsecure(),
  key: "plaintext",
};

export interface TlsFiles {
  ca: string;
  cert?: string | undefined;
  key?: string | undefined;
}

function readIfThere(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw thrown;
  }
}

/** Reads the files now: TLS credentials, or why the agent must wait for its CA. */
export function readCollectorCredentials(files: TlsFiles): CollectorCredentials {
  const waiting = (why: string): CollectorCredentials => ({
    kind: "waiting",
    reason: `waiting for the collector's CA at ${files.ca}: ${why}`,
  });
  const ca = readIfThere(files.ca);
  if (ca === undefined) return waiting("the file is not there yet");
  if (ca.toString("utf8").trim() === "") return waiting("the file is empty");
  if (!ca.includes("-----BEGIN CERTIFICATE-----")) return waiting("the file holds no PEM certificate");
  const cert = files.cert ? readFileSync(files.cert) : null;
  const key = files.key ? readFileSync(files.key) : null;
  const hash = createHash("sha256").update(ca);
  if (cert) hash.update(cert);
  if (key) hash.update(key);
  return { kind: "ready", credentials: grpc.credentials.createSsl(ca, key, cert), key: hash.digest("hex") };
}
