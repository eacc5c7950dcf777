/**
 * What kubelet does for one pod, through CRI on a lab node: pull each image
 * by its imagePullPolicy, RunPodSandbox, then per container CreateContainer
 * with the manifest's image, command, args, env (values, `fieldRef`,
 * `secretKeyRef`), volume mounts and security context, and StartContainer.
 * Where it differs from kubelet (host network, rewritten ports, no cgroup
 * limits) test/harness/README.md says.
 */
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type ContainerConfig,
  CriClient,
  type LinuxContainerSecurityContext,
  type PodSandboxConfig,
} from "@imagedrift/cri";
import type { Container, PodSpec } from "../deploy/manifests.js";
import type { ContainerdNode } from "../lab/containerd-node.js";
import type { ClusterNetwork, PortMap } from "./network.js";
import type { PodVolumes } from "./volumes.js";

export interface PodRequest {
  node: ContainerdNode;
  name: string;
  namespace: string;
  spec: PodSpec;
  labels?: Record<string, string>;
  volumes: PodVolumes;
  network: ClusterNetwork;
  ports: PortMap;
  /** The pod's /etc/hosts on the node (ClusterNetwork.writeHosts). */
  hostsFile: string;
  /** Variables kubelet adds to every container (KUBERNETES_SERVICE_HOST and _PORT). */
  env: Record<string, string>;
  /** A Secret's data from the API (secretKeyRef), or null. */
  secret(name: string): Promise<Record<string, string> | null>;
}

export interface RunningContainer {
  name: string;
  id: string;
  spec: Container;
  /** The container's arguments after the harness's rewrites. */
  args: string[];
  startedAt: number;
}

export interface RunningPod {
  name: string;
  node: ContainerdNode;
  sandboxId: string;
  ports: PortMap;
  containers: RunningContainer[];
  /** The pod's log dir on the node: `<container>/0.log`. */
  logDirectory: string;
}

const HOST_NETWORK = { network: "NODE", pid: "CONTAINER", ipc: "POD" } as const;

export async function runPod(request: PodRequest): Promise<RunningPod> {
  const { node, name, namespace, spec } = request;
  const uid = randomUUID();
  const podLabels = {
    "io.kubernetes.pod.name": name,
    "io.kubernetes.pod.namespace": namespace,
    "io.kubernetes.pod.uid": uid,
  };
  const logDirectory = join(node.dir, "pods", `${namespace}_${name}_${uid}`);
  // No hostname: with the host UTS namespace runc refuses one (test/lab/README.md).
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name, uid, namespace, attempt: 0 },
    logDirectory,
    labels: { ...request.labels, ...podLabels },
    annotations: {},
    linux: { securityContext: { namespaceOptions: HOST_NETWORK } },
  };
  const cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 120_000 });
  try {
    for (const container of spec.containers) await ensureImage(cri, container);
    const sandboxId = await cri.runPodSandbox(sandboxConfig);
    const containers: RunningContainer[] = [];
    for (const container of spec.containers) {
      await mkdir(join(logDirectory, container.name), { recursive: true });
      const args = (container.args ?? []).map((arg) => request.network.rewriteArg(arg, request.ports));
      const command = (container as { command?: string[] }).command;
      const config: ContainerConfig = {
        metadata: { name: container.name, attempt: 0 },
        image: { image: container.image },
        // The image's entrypoint stays unless the manifest sets `command`, as kubelet does.
        ...(command ? { command } : {}),
        args,
        envs: await containerEnv(request, container),
        mounts: [
          ...request.volumes.mountsFor(container),
          { containerPath: "/etc/hosts", hostPath: request.hostsFile, readonly: false },
        ],
        labels: { ...podLabels, "io.kubernetes.container.name": container.name },
        annotations: {},
        logPath: join(container.name, "0.log"),
        linux: { securityContext: securityContext(spec, container) },
      };
      const id = await cri.createContainer(sandboxId, config, sandboxConfig);
      await cri.startContainer(id);
      containers.push({ name: container.name, id, spec: container, args, startedAt: Date.now() });
    }
    return { name, node, sandboxId, ports: request.ports, containers, logDirectory };
  } finally {
    cri.close();
  }
}

/** Stops and removes the pod's sandbox and containers. */
export async function deletePod(pod: RunningPod): Promise<void> {
  const cri = CriClient.connect({ endpoint: pod.node.endpoint, timeoutMs: 60_000 });
  try {
    await cri.stopPodSandbox(pod.sandboxId);
    await cri.removePodSandbox(pod.sandboxId);
  } finally {
    cri.close();
  }
}

async function ensureImage(cri: CriClient, container: Container): Promise<void> {
  const policy = (container as { imagePullPolicy?: string }).imagePullPolicy ?? "IfNotPresent";
  if (policy !== "Always" && (await cri.imageStatus(container.image))) return;
  if (policy === "Never") throw new Error(`image ${container.image} is not on the node (imagePullPolicy: Never)`);
  await cri.pullImage(container.image);
}

async function containerEnv(request: PodRequest, container: Container): Promise<{ key: string; value: string }[]> {
  const env = Object.entries(request.env).map(([key, value]) => ({ key, value }));
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (variable.value !== undefined || from === undefined) {
      env.push({ key: variable.name, value: variable.value ?? "" });
    } else if (from.fieldRef) {
      const fields: Record<string, string> = {
        "spec.nodeName": request.node.name,
        "metadata.name": request.name,
        "metadata.namespace": request.namespace,
      };
      const value = fields[from.fieldRef.fieldPath];
      if (value === undefined)
        throw new Error(`env ${variable.name}: fieldRef ${from.fieldRef.fieldPath} is not supported`);
      env.push({ key: variable.name, value });
    } else if (from.secretKeyRef) {
      const { name, key } = from.secretKeyRef;
      const value = (await request.secret(name))?.[key];
      if (value === undefined) throw new Error(`env ${variable.name}: Secret ${name} has no key ${key}`);
      env.push({ key: variable.name, value });
    } else {
      throw new Error(`env ${variable.name}: only value, fieldRef and secretKeyRef are supported`);
    }
  }
  return env;
}

interface SecurityFields {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  supplementalGroups?: number[];
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string };
}

/** The pod's and the container's securityContext as kubelet merges them into CRI's (the container's wins). */
export function securityContext(spec: PodSpec, container: Container): LinuxContainerSecurityContext {
  const pod = (spec.securityContext ?? {}) as SecurityFields;
  const own = (container.securityContext ?? {}) as SecurityFields;
  const runAsUser = own.runAsUser ?? pod.runAsUser;
  const runAsGroup = own.runAsGroup ?? pod.runAsGroup;
  if ((own.runAsNonRoot ?? pod.runAsNonRoot) === true && runAsUser === 0) {
    throw new Error(`container ${container.name}: runAsNonRoot with runAsUser 0`);
  }
  const seccomp = own.seccompProfile ?? pod.seccompProfile;
  if (seccomp && seccomp.type !== "RuntimeDefault" && seccomp.type !== "Unconfined") {
    throw new Error(`container ${container.name}: seccompProfile ${seccomp.type} is not supported by the harness`);
  }
  const groups = [...(pod.fsGroup === undefined ? [] : [pod.fsGroup]), ...(pod.supplementalGroups ?? [])];
  return {
    namespaceOptions: HOST_NETWORK,
    privileged: own.privileged ?? false,
    ...(runAsUser === undefined ? {} : { runAsUser: { value: runAsUser } }),
    ...(runAsGroup === undefined ? {} : { runAsGroup: { value: runAsGroup } }),
    supplementalGroups: groups,
    readonlyRootfs: own.readOnlyRootFilesystem ?? false,
    noNewPrivs: own.allowPrivilegeEscalation === false,
    capabilities: { addCapabilities: own.capabilities?.add ?? [], dropCapabilities: own.capabilities?.drop ?? [] },
    ...(seccomp ? { seccomp: { profileType: seccomp.type as "RuntimeDefault" | "Unconfined" } } : {}),
  };
}
