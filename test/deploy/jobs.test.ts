/**
 * The Job templates in deploy/jobs/: pinned to a node, with the DaemonSet's
 * socket and security settings, calling the agent's one-shot commands (docs/ARCHITECTURE.md#the-agent)
 * with flags the agent declares. programs.test.ts runs the same command lines
 * against a real containerd.
 */
import { parseAgentConfig } from "@imagedrift/agent";
import { beforeAll, describe, expect, it } from "vitest";
import { declaredFlags, parseArgs, toOptions } from "./flags.js";
import {
  find,
  type K8sObject,
  kustomize,
  onlyContainer,
  PREPULL_JOB,
  PRUNE_JOB,
  readJobTemplate,
  type Service,
  selects,
  type Workload,
} from "./manifests.js";
import { AGENT_MAIN, NODE } from "./program-config.js";

const TEMPLATES = [
  { file: PRUNE_JOB, command: "prune", source: "packages/agent/src/cli/prune-command.ts" },
  { file: PREPULL_JOB, command: "pull", source: "packages/agent/src/cli/pull-command.ts" },
] as const;

describe.each(TEMPLATES)("$file", ({ file, command, source }) => {
  let base: K8sObject[];
  let daemonSet: Workload;
  let job: Workload;

  beforeAll(async () => {
    base = await kustomize("deploy");
    daemonSet = find<Workload>(base, "DaemonSet", "imagedrift-agent");
    job = readJobTemplate(file);
  });

  it("is a Job in the imagedrift namespace, pinned to the NODE placeholder, run once", () => {
    expect(job.apiVersion).toBe("batch/v1");
    expect(job.metadata.namespace).toBe("imagedrift");
    expect(job.metadata.generateName).toMatch(/^imagedrift-[a-z]+-$/);
    const pod = job.spec.template.spec;
    expect(pod.nodeName).toBe("NODE");
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
  });

  it(`runs imagedrift-agent ${command} with flags the agent declares`, () => {
    const container = onlyContainer(job);
    const { positional, flags } = parseArgs(container.args ?? []);
    expect(positional[0]).toBe(command);
    const global = declaredFlags(AGENT_MAIN);
    const own = new Set([...declaredFlags(source), ...declaredFlags("packages/agent/src/cli/one-shot.ts")]);
    expect(Object.keys(flags).filter((flag) => !global.has(flag) && !own.has(flag))).toEqual([]);
    // The global part goes through the agent's real config parser, with NODE_NAME as the downward API sets it.
    const globalFlags = Object.fromEntries(Object.entries(flags).filter(([flag]) => global.has(flag)));
    const cfg = parseAgentConfig({ ...(toOptions(globalFlags) as Record<string, string>), nodeName: NODE });
    expect(cfg.criEndpoint).toBe("unix:///run/containerd/containerd.sock");
    expect(container.env?.find((e) => e.name === "NODE_NAME")?.valueFrom?.fieldRef?.fieldPath).toBe("spec.nodeName");
    if (command === "prune") expect(container.args).toEqual(expect.arrayContaining(["--policy=unused", "--dry-run"]));
    if (command === "pull") expect(positional).toEqual(["pull", "REF"]);
  });

  it("mounts the socket and runs with the DaemonSet's image and security settings", () => {
    const agentPod = daemonSet.spec.template.spec;
    const pod = job.spec.template.spec;
    const container = onlyContainer(job);
    const agentContainer = onlyContainer(daemonSet);
    expect(pod.volumes).toEqual(agentPod.volumes?.filter((v) => v.name === "cri-socket"));
    expect(container.volumeMounts).toEqual(agentContainer.volumeMounts?.filter((m) => m.name === "cri-socket"));
    expect(container.securityContext).toEqual(agentContainer.securityContext);
    expect(pod.securityContext).toEqual(agentPod.securityContext);
    expect(container.image).toBe(agentContainer.image);
    expect(container.resources).toEqual(agentContainer.resources);
    expect(pod.serviceAccountName).toBe(agentPod.serviceAccountName);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("is not taken for an agent by the agents' metrics Service", () => {
    const service = find<Service>(base, "Service", "imagedrift-agent");
    expect(selects(service.spec.selector, job.spec.template.metadata.labels)).toBe(false);
    expect(job.spec.template.metadata.labels?.["app.kubernetes.io/part-of"]).toBe("imagedrift");
  });
});
