/**
 * kubelet's httpGet probes against a running pod: the probe's port (a name
 * or a number) is the container's port, which the harness mapped to a
 * loopback port (network.ts). kubelet probes every periodSeconds and acts on
 * failureThreshold; the harness polls faster, with a deadline, until each
 * probe passes once (startup first, then liveness and readiness), and
 * records when: a probe that never passes fails the test with its last
 * answer.
 */
import type { Container, Probe } from "../deploy/manifests.js";
import { LOOPBACK } from "../lab/ports.js";
import { waitFor } from "../lab/wait.js";
import type { RunningContainer, RunningPod } from "./kubelet.js";

export type ProbeKind = "startupProbe" | "livenessProbe" | "readinessProbe";

export interface ProbeResult {
  pod: string;
  container: string;
  kind: ProbeKind;
  url: string;
  /** Milliseconds from StartContainer to the first pass. */
  passedAfterMs: number;
}

/** The URL a probe asks, on the pod's mapped port. */
export function probeUrl(pod: RunningPod, container: Container, probe: Probe): string {
  const httpGet = probe.httpGet;
  if (!httpGet) throw new Error(`container ${container.name}: only httpGet probes are supported`);
  const containerPort =
    typeof httpGet.port === "number"
      ? httpGet.port
      : container.ports?.find((p) => p.name === httpGet.port)?.containerPort;
  const port = containerPort === undefined ? undefined : pod.ports.get(containerPort);
  if (port === undefined) throw new Error(`container ${container.name}: probe port ${httpGet.port} is not declared`);
  return `http://${LOOPBACK}:${port}${httpGet.path}`;
}

/** The URL of the pod's first container's probe of that kind. */
export function podProbeUrl(pod: RunningPod, kind: ProbeKind): string {
  const container = pod.containers.find((c) => c.spec[kind]);
  const probe = container?.spec[kind];
  if (!container || !probe) throw new Error(`pod ${pod.name} has no ${kind}`);
  return probeUrl(pod, container.spec, probe);
}

/** One probe, once: kubelet counts 200-399 as success. */
export async function probeOnce(url: string, timeoutMs = 1_000): Promise<{ ok: boolean; detail: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    const body = (await response.text()).slice(0, 200);
    return { ok: response.status >= 200 && response.status < 400, detail: `${response.status} ${body}` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

/** Waits for every probe of every container of the pod to pass; the startup probe first, as kubelet gates the others on it. */
export async function waitForProbes(pod: RunningPod, timeoutMs: number): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const container of pod.containers) {
    for (const kind of ["startupProbe", "livenessProbe", "readinessProbe"] as const) {
      const result = await waitForProbe(pod, container, kind, timeoutMs);
      if (result) results.push(result);
    }
  }
  return results;
}

async function waitForProbe(
  pod: RunningPod,
  container: RunningContainer,
  kind: ProbeKind,
  timeoutMs: number,
): Promise<ProbeResult | null> {
  const probe = container.spec[kind];
  if (!probe) return null;
  const url = probeUrl(pod, container.spec, probe);
  let last = "";
  await waitFor(
    async () => {
      const answer = await probeOnce(url);
      last = answer.detail;
      return answer.ok;
    },
    {
      what: `${kind} ${url} of ${pod.name}/${container.name} to pass (last: ${last || "none"})`,
      timeoutMs,
      intervalMs: 200,
    },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last answer: ${last}`, { cause: error });
  });
  return { pod: pod.name, container: container.name, kind, url, passedAfterMs: Date.now() - container.startedAt };
}
