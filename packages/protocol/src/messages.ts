/**
 * imagedrift.v1 messages as @grpc/proto-loader gives them
 * (`keepCase: false, longs: String, defaults: true, oneofs: true`).
 * uint64 fields arrive as decimal strings and may be sent as numbers.
 */

export interface WireContainer {
  id: string;
  pod: string;
  namespace: string;
  container: string;
  state: string;
  podUid: string;
  image: string;
}

export interface WireImage {
  id: string;
  repoTags: readonly string[];
  repoDigests: readonly string[];
  size: string | number;
  pinned: boolean;
  sandbox: boolean;
  inUse: boolean;
  containers: readonly WireContainer[];
}

export interface WireInventory {
  hash: string;
  scannedAt: string;
  runtime: { name: string; version: string; apiVersion: string } | null;
  images: WireImage[];
  pods: { id: string; name: string; namespace: string; uid: string; state: string }[];
  imageFs: { mountpoint: string; usedBytes: string | number; inodesUsed?: string | number | null } | null;
}

export interface Hello {
  node: string;
  agentVersion: string;
  intervalMs: string | number;
  inventoryHash: string;
  labels: Record<string, string>;
  /** "events" or "polling"; "" or absent from agents older than the field. */
  scanMode?: string;
}

export interface Heartbeat {
  inventoryHash: string;
  /** As Hello.scanMode. */
  scanMode?: string;
}

export interface CommandMessage {
  id: string;
  jobId: string;
  specJson: string;
  timeoutMs: string | number;
}

export interface CommandUpdate {
  id: string;
  state: "running" | "succeeded" | "failed" | "cancelled";
  message: string;
  resultJson: string;
}

export type AgentMessage =
  | { body: "hello"; hello: Hello }
  | { body: "inventory"; inventory: WireInventory }
  | { body: "heartbeat"; heartbeat: Heartbeat }
  | { body: "commandUpdate"; commandUpdate: CommandUpdate };

export type CollectorMessage =
  | { body: "welcome"; welcome: { collectorVersion: string; inventoryWanted: boolean } }
  | { body: "resendInventory"; resendInventory: { reason: string } }
  | { body: "command"; command: CommandMessage }
  | { body: "cancelCommand"; cancelCommand: { id: string } };

/** Metadata keys of the Connect call. */
export const NODE_METADATA_KEY = "x-imagedrift-node";
export const AUTHORIZATION_METADATA_KEY = "authorization";
