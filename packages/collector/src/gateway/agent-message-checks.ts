import {
  AGENT_SCAN_MODES,
  type AgentScanMode,
  ImagedriftError,
  inventoryDuplicates,
  isSha256Digest,
  type NodeInventory,
} from "@imagedrift/core";
import type { Hello } from "@imagedrift/protocol";
import type { AgentHello } from "../drift/index.js";

/**
 * What the gateway checks in an agent's messages beyond their schema, and the
 * translation of the wire hello into the domain's: protocol types end here.
 */

const LABEL_KEY = /^[A-Za-z0-9][-A-Za-z0-9_./]{0,252}$/;
const LABEL_VALUE = /^[-A-Za-z0-9_.]{0,63}$/;
const MAX_INTERVAL_MS = 365 * 24 * 3600 * 1000;
const SCAN_MODE_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const quote = (value: string) => JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);

/** What is wrong with a hello, or null: the interval, version, hash and labels are stored as given. */
export function helloProblem(hello: Hello): string | null {
  const intervalMs = Number(hello.intervalMs);
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1000 || intervalMs > MAX_INTERVAL_MS) {
    return `hello.intervalMs ${quote(String(hello.intervalMs))} is not a whole number of milliseconds from 1s to 365d`;
  }
  if (hello.agentVersion.length > 128) return `hello.agentVersion is longer than 128 characters`;
  if (hello.inventoryHash !== "" && !isSha256Digest(hello.inventoryHash)) {
    return `hello.inventoryHash ${quote(hello.inventoryHash)} is not "" or sha256:<64 hex>`;
  }
  // A mode this collector does not know (a newer agent's) is accepted and reads as unknown; only a value
  // that cannot be a mode's name is refused.
  if (hello.scanMode !== undefined && hello.scanMode !== "" && !SCAN_MODE_NAME.test(hello.scanMode)) {
    return `hello.scanMode ${quote(hello.scanMode)} is not a scan mode's name (known: ${AGENT_SCAN_MODES.join(", ")})`;
  }
  const labels = Object.entries(hello.labels ?? {});
  if (labels.length > 256) return `hello.labels has ${labels.length} labels (at most 256)`;
  for (const [key, value] of labels) {
    if (!LABEL_KEY.test(key)) return `hello.labels: ${quote(key)} is not a label key`;
    if (!LABEL_VALUE.test(value)) return `hello.labels[${quote(key)}]: ${quote(value)} is not a label value`;
  }
  return null;
}

/** The domain's hello from a checked wire hello (helloProblem): protocol types end here. */
export function agentHelloOf(hello: Hello): AgentHello {
  const scanMode = scanModeOf(hello.scanMode);
  return {
    agentVersion: hello.agentVersion,
    intervalMs: Number(hello.intervalMs),
    labels: hello.labels ?? {},
    inventoryHash: hello.inventoryHash,
    ...(scanMode === undefined ? {} : { scanMode }),
  };
}

/** The agent's scan mode from the wire ("" or absent from older agents: undefined). */
export function scanModeOf(wire: string | undefined): AgentScanMode | undefined {
  return (AGENT_SCAN_MODES as readonly (string | undefined)[]).includes(wire) ? (wire as AgentScanMode) : undefined;
}

/** Checks what the schema cannot see: the hash's form and ids that must be unique within one inventory. */
export function checkInventory(node: string, inventory: NodeInventory, hash: string): void {
  const problems = isSha256Digest(hash) ? [] : [`hash: ${quote(hash)} is not sha256:<64 hex>`];
  problems.push(...inventoryDuplicates(inventory, quote));
  if (problems.length > 0) {
    throw new ImagedriftError(
      "invalid-argument",
      `inventory from node "${node}" rejected:\n${problems.slice(0, 20).join("\n")}`,
    );
  }
}
