/**
 * The rendered manifests run on a lab: the collector StatefulSet's pod on
 * one node, the agent DaemonSet's pod on every node, with the API server,
 * Secrets, volumes, network and probes as kubelet would have them
 * (README.md here).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { nodeObject } from "../../packages/collector/src/kubernetes/kube-objects.fake.js";
import { type PodSpec, type Service, selects, type Workload } from "../deploy/manifests.js";
import type { ContainerdNode } from "../lab/containerd-node.js";
import type { Lab } from "../lab/lab.js";
import { waitFor } from "../lab/wait.js";
import type { ClusterApi } from "./api-server.js";
import { deletePod, type RunningPod, runPod } from "./kubelet.js";
import { ClusterNetwork } from "./network.js";
import type { Rendered } from "./render.js";
import { materialiseVolumes, type PodVolumes } from "./volumes.js";

/** A lab node's stand-in for the host's root: hostPath `/run/containerd` is `<node dir>/host/run/containerd`. */
export const HOST_ROOT = "host";

/** The lab's socket option for nodes whose containerd socket is at `socketPath` on the "host". */
export const labSocket = (socketPath: string): string => join(HOST_ROOT, socketPath);

export interface HarnessPod {
  pod: RunningPod;
  volumes: PodVolumes;
}

export interface Harness {
  readonly network: ClusterNetwork;
  /** Starts a workload's pod on a node (StatefulSet ordinal 0, or the DaemonSet's pod of that node). */
  start(workload: Workload, node: ContainerdNode): Promise<HarnessPod>;
  /** kubelet's Secret resync: every pod's secret volumes rewritten from the API. */
  syncSecrets(): Promise<void>;
  stop(): Promise<void>;
}

export function makeHarness(options: { lab: Lab; api: ClusterApi; rendered: Rendered; dir: string }): Harness {
  const { lab, api, rendered } = options;
  const network = new ClusterNetwork();
  const pods: HarnessPod[] = [];
  const syncSecrets = async () => {
    for (const { volumes } of pods) await volumes.syncSecrets();
  };
  // kubelet resyncs Secret volumes on its pod sync (about a minute); the harness every second, one at a time.
  let syncing: Promise<void> | null = null;
  const resync = setInterval(() => {
    syncing ??= syncSecrets()
      .catch(() => undefined)
      .finally(() => {
        syncing = null;
      });
  }, 1_000);
  resync.unref();
  for (const node of lab.nodes) api.fake.put("nodes", nodeObject(node.name));
  for (const secret of rendered.secrets) api.putSecret(secret.namespace, secret.name, secret.data);

  return {
    network,
    async start(workload, node) {
      const namespace = workload.metadata.namespace ?? "default";
      const name =
        workload.kind === "StatefulSet" ? `${workload.metadata.name}-0` : `${workload.metadata.name}-${node.name}`;
      const template = workload.spec.template.spec;
      const secret = (secretName: string) => api.secret(namespace, secretName);
      // kubelet leaves a pod in ContainerCreating until the Secrets its volumes name exist.
      for (const volume of template.volumes ?? []) {
        if (!volume.secret) continue;
        const secretName = volume.secret.secretName;
        await waitFor(async () => (await secret(secretName)) !== null, {
          what: `Secret ${namespace}/${secretName} (volume ${volume.name} of ${name})`,
          timeoutMs: 60_000,
          intervalMs: 200,
        });
      }
      const podDir = join(options.dir, "pods", name);
      await mkdir(podDir, { recursive: true });
      const spec: PodSpec & { volumeClaims?: string[] } = {
        ...template,
        volumeClaims: (workload.spec.volumeClaimTemplates ?? []).map((claim) => claim.metadata.name ?? ""),
      };
      const mountsToken = template.automountServiceAccountToken !== false;
      const volumes = await materialiseVolumes(spec, podDir, {
        hostPath: (path) => join(node.dir, HOST_ROOT, path),
        secret,
        ...(mountsToken
          ? {
              serviceAccount: {
                token: `harness-token-for-${template.serviceAccountName ?? "default"}`,
                "ca.crt": api.caPem,
                namespace,
              },
            }
          : {}),
      });
      const ports = await network.allocate(template.containers);
      // A Service with a cluster IP that selects the pod leads to it; headless ones (the agents') name no address.
      const labels = workload.spec.template.metadata.labels ?? {};
      for (const object of rendered.objects) {
        const service = object as Service;
        if (object.kind !== "Service" || service.spec.clusterIP === "None") continue;
        if (selects(service.spec.selector, labels)) network.expose(service, template.containers, ports);
      }
      const hostsFile = join(podDir, "hosts");
      await network.writeHosts(hostsFile);
      const pod = await runPod({
        node,
        name,
        namespace,
        spec: template,
        labels: workload.spec.template.metadata.labels ?? {},
        volumes,
        network,
        ports,
        hostsFile,
        env: api.env,
        secret,
      });
      const started = { pod, volumes };
      pods.push(started);
      return started;
    },
    syncSecrets,
    async stop() {
      clearInterval(resync);
      await syncing;
      await Promise.allSettled(pods.map(({ pod }) => deletePod(pod)));
    },
  };
}
