/**
 * The cluster network, as far as the harness stands in for it. Every lab pod
 * shares the host's network namespace (no CNI), so the harness does what a
 * pod network and kube-proxy would have made unnecessary, and each step is a
 * documented difference from kubelet (test/harness/README.md):
 *
 * - each declared containerPort gets a free port on 127.0.0.1 (two agents
 *   asking for :9101 on one host would clash, and tests bind loopback only),
 *   and a listen argument `--x=:PORT` becomes `--x=127.0.0.1:FREE`;
 * - a Service's name (`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`)
 *   resolves to 127.0.0.1 through the pod's /etc/hosts, and an argument
 *   naming `NAME:SERVICE_PORT` gets the port its target pod was given: the
 *   host name in the argument stays, so name resolution and TLS server names
 *   are exercised as in a cluster.
 */
import { readFile, writeFile } from "node:fs/promises";
import type { Container, Service } from "../deploy/manifests.js";
import { freePort, LOOPBACK } from "../lab/ports.js";

/** containerPort → the 127.0.0.1 port the pod got for it. */
export type PortMap = ReadonlyMap<number, number>;

export class ClusterNetwork {
  /** Host names of Services → (service port → host port). */
  readonly #services = new Map<string, Map<number, number>>();

  /** Free loopback ports for every containerPort of a pod's containers. */
  async allocate(containers: readonly Container[]): Promise<PortMap> {
    const ports = new Map<number, number>();
    for (const port of containers.flatMap((c) => c.ports ?? [])) {
      if (!ports.has(port.containerPort)) ports.set(port.containerPort, await freePort());
    }
    return ports;
  }

  /** Makes a Service point at a pod: its ports resolve through the pod's containers' named ports. */
  expose(service: Service, containers: readonly Container[], ports: PortMap): void {
    const namespace = service.metadata.namespace ?? "default";
    const name = service.metadata.name ?? "";
    const byPort = new Map<number, number>();
    for (const servicePort of service.spec.ports) {
      const target = servicePort.targetPort;
      const containerPort =
        typeof target === "number"
          ? target
          : containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
      const hostPort = containerPort === undefined ? undefined : ports.get(containerPort);
      if (hostPort === undefined) {
        throw new Error(`Service ${name} port ${servicePort.name}: no container port ${String(target)} in its pod`);
      }
      byPort.set(servicePort.port, hostPort);
    }
    for (const host of [
      name,
      `${name}.${namespace}`,
      `${name}.${namespace}.svc`,
      `${name}.${namespace}.svc.cluster.local`,
    ]) {
      this.#services.set(host, byPort);
    }
  }

  /** An argument with its listen address and Service ports rewritten (see the module comment). */
  rewriteArg(arg: string, ports: PortMap): string {
    const listen = /^(--[\w-]+=)(?:0\.0\.0\.0)?:(\d+)$/.exec(arg);
    if (listen) {
      const mapped = ports.get(Number(listen[2]));
      return mapped === undefined ? arg : `${listen[1]}${LOOPBACK}:${mapped}`;
    }
    const service = /^(--[\w-]+=(?:[a-z]+:\/\/)?)([a-z0-9.-]+):(\d+)(.*)$/.exec(arg);
    const mapped = service ? this.#services.get(service[2] ?? "")?.get(Number(service[3])) : undefined;
    return service && mapped !== undefined ? `${service[1]}${service[2]}:${mapped}${service[4]}` : arg;
  }

  /** The pod's /etc/hosts: the node's (kubelet copies it for host-network pods) plus the Services' names. */
  async writeHosts(path: string): Promise<void> {
    const node = await readFile("/etc/hosts", "utf8").catch(() => `${LOOPBACK}\tlocalhost\n`);
    const names = [...this.#services.keys()].join(" ");
    const extra = names === "" ? "" : `# Services (imagedrift harness)\n${LOOPBACK}\t${names}\n`;
    await writeFile(path, `${node.trimEnd()}\n${extra}`, { mode: 0o644 });
  }
}
