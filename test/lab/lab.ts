/**
 * A lab: one registry on loopback and N containerd nodes, each in a short temp
 * dir of its own, with a pause image on the registry so that pods can start.
 * Everything is stopped by PID and every trace removed by `stop()`; a safety
 * net covers aborted runs.
 */
import { mkdir, mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { ImagedriftError } from "@imagedrift/core";
import { type ContainerdNode, startNode } from "./containerd-node.js";
import { type BuildImageOptions, buildOciImage, type OciImage } from "./oci-image.js";
import { importImage, pushImage } from "./push.js";
import { reapDirSync } from "./reap.js";
import { type NotificationEndpoint, type Registry, type RegistryAuth, startRegistry } from "./registry.js";
import { guardDir } from "./safety-net.js";

/** The sandbox image every node is configured with, pushed by `startLab`. */
export const PAUSE_REPO_TAG = "pause:3.9";

export interface LabOptions {
  /** A count (nodes n1…nN) or the node names. */
  nodes: number | readonly string[];
  /** The lab dir (created if missing; keep it short). Default a new /tmp/idl-XXXXXX. */
  dir?: string;
  registryAuth?: RegistryAuth;
  /** Where the registry posts its push notifications (docker-registry's `notifications: endpoints:`). */
  registryNotifications?: readonly NotificationEndpoint[];
  /**
   * Whether nodes' containerd configs carry the registry's credentials (default
   * true). False makes pulls depend on credentials sent with each CRI request.
   */
  nodeCredentials?: boolean;
  /** Each node's containerd socket, relative to the node's dir (default `c.sock`; see NodeOptions). */
  socket?: string;
}

export type NodeRef = ContainerdNode | string;

export interface Lab {
  readonly dir: string;
  readonly registry: Registry;
  readonly nodes: readonly ContainerdNode[];
  /** `127.0.0.1:PORT/pause:3.9`. */
  readonly sandboxImage: string;
  node(name: string): ContainerdNode;
  /** `repo:tag` (or `repo`, meaning `:latest`) → `127.0.0.1:PORT/repo:tag`; full lab references pass through. */
  ref(repoTag: string): string;
  /** Builds an OCI layout in the lab dir. */
  build(options?: BuildImageOptions): Promise<OciImage>;
  /** Builds and pushes `repoTag`; returns the registry's digest for it (the index digest when multi-platform). */
  buildAndPush(repoTag: string, options?: BuildImageOptions): Promise<string>;
  /** Pushes a built image as `repoTag`; returns the registry's digest. */
  push(image: OciImage, repoTag: string): Promise<string>;
  digestOf(repoTag: string): Promise<string>;
  /** Deletes the manifest `repoTag` points at; returns its digest. */
  deleteTag(repoTag: string): Promise<string>;
  /** Builds an image and imports it on one node only, never pushed: CRI lists it with no repo digest. */
  importImage(node: NodeRef, repoTag: string, options?: BuildImageOptions): Promise<OciImage>;
  /** `ctr -n k8s.io args…` on a node; returns stdout. */
  ctr(node: NodeRef, ...args: string[]): Promise<string>;
  /** Stops every process by PID, kills shims and containers, unmounts, deletes the dir. */
  stop(): Promise<void>;
}

export async function startLab(options: LabOptions): Promise<Lab> {
  const names =
    typeof options.nodes === "number"
      ? Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`)
      : [...options.nodes];
  if (new Set(names).size !== names.length || names.some((n) => !/^[\w.-]+$/.test(n))) {
    throw new ImagedriftError("invalid-argument", `node names must be distinct words: ${names.join(", ")}`);
  }
  const dir = options.dir ?? (await mkdtemp("/tmp/idl-"));
  await mkdir(join(dir, "images"), { recursive: true });
  const guard = guardDir(dir);
  const nodes: ContainerdNode[] = [];
  let registry: Registry | undefined;
  const stop = async () => {
    await Promise.allSettled([...nodes.map((n) => n.stop()), registry?.stop()]);
    reapDirSync(dir);
    guard.release();
  };

  try {
    const [started, pause] = await Promise.all([
      startRegistry({
        dir: join(dir, "registry"),
        ...(options.registryAuth ? { auth: options.registryAuth } : {}),
        ...(options.registryNotifications ? { notifications: options.registryNotifications } : {}),
      }),
      // Salted so that no test image built with the same options is the pause image by accident.
      buildOciImage({ parentDir: join(dir, "images"), runnable: true, salt: "imagedrift-lab-pause" }),
    ]);
    registry = started;
    const lab = makeLab({ dir, registry, nodes, stop });
    await lab.push(pause, PAUSE_REPO_TAG);
    const startedNodes = await Promise.all(
      names.map((name) =>
        startNode({
          name,
          dir: join(dir, name),
          registryHost: started.host,
          sandboxImage: lab.sandboxImage,
          registryCredentials: options.nodeCredentials === false ? undefined : started.credentials,
          socket: options.socket,
        }),
      ),
    );
    nodes.push(...startedNodes);
    return lab;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

interface LabParts {
  dir: string;
  registry: Registry;
  nodes: ContainerdNode[];
  stop: () => Promise<void>;
}

function makeLab({ dir, registry, nodes, stop }: LabParts): Lab {
  const ref = (repoTag: string) =>
    repoTag.startsWith(`${registry.host}/`) ? repoTag : `${registry.host}/${withTag(repoTag)}`;
  const split = (repoTag: string): [string, string] => {
    const path = ref(repoTag).slice(registry.host.length + 1);
    const colon = path.lastIndexOf(":");
    return [path.slice(0, colon), path.slice(colon + 1)];
  };
  const node = (which: NodeRef) => {
    if (typeof which !== "string") return which;
    const found = nodes.find((n) => n.name === which);
    if (!found)
      throw new ImagedriftError(
        "not-found",
        `no node "${which}" in the lab (nodes: ${nodes.map((n) => n.name).join(", ")})`,
      );
    return found;
  };
  const build = (options: BuildImageOptions = {}) => buildOciImage({ parentDir: join(dir, "images"), ...options });
  const lab: Lab = {
    dir,
    registry,
    nodes,
    sandboxImage: `${registry.host}/${PAUSE_REPO_TAG}`,
    node,
    ref,
    build,
    async push(image, repoTag) {
      await pushImage({ image, destination: ref(repoTag), credentials: registry.credentials });
      const digest = await lab.digestOf(repoTag);
      if (digest !== image.digest) {
        throw new ImagedriftError(
          "internal",
          `pushed ${image.digest} as ${ref(repoTag)} but the registry has ${digest}`,
        );
      }
      return digest;
    },
    async buildAndPush(repoTag, options) {
      return lab.push(await build(options), repoTag);
    },
    digestOf: (repoTag) => registry.digestOf(...split(repoTag)),
    deleteTag: (repoTag) => registry.deleteTag(...split(repoTag)),
    async importImage(which, repoTag, options) {
      const image = await build(options);
      await importImage({ target: { socket: node(which).socket }, image, name: ref(repoTag) });
      return image;
    },
    ctr: (which, ...args) => node(which).ctr(...args),
    stop,
  };
  return lab;
}

/** Appends `:latest` when the last path segment has no tag. */
function withTag(repoTag: string): string {
  const last = repoTag.slice(repoTag.lastIndexOf("/") + 1);
  return last.includes(":") ? repoTag : `${repoTag}:latest`;
}
