/**
 * One simulated node: a containerd process with its own root, state and
 * socket under the node's dir. Tests stop and restart nodes; `teardown()`
 * removes every trace (shims, containers, mounts, the dir).
 */
import { mkdir, open, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ImagedriftError } from "@imagedrift/core";
import { renderContainerdConfig } from "./containerd-config.js";
import { runCtr } from "./ctr.js";
import type { Credentials } from "./htpasswd.js";
import { type Daemon, startDaemon } from "./process.js";
import { reapDirSync } from "./reap.js";

export const CONTAINERD_BINARY = "/usr/bin/containerd";
/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
const BOOTED = "containerd successfully booted";

export interface NodeOptions {
  name: string;
  /** The node's own dir (keep it short: the socket lives in it). */
  dir: string;
  registryHost: string;
  sandboxImage: string;
  registryCredentials?: Credentials | undefined;
  /**
   * containerd's socket, relative to the node's dir (default `c.sock`). A directory in it holds the
   * socket alone, as /run/containerd does on a host: what a pod mounts with hostPath (test/harness).
   */
  socket?: string | undefined;
}

export class ContainerdNode {
  readonly name: string;
  readonly dir: string;
  /** containerd's gRPC socket path. */
  readonly socket: string;
  /** The CRI endpoint as kubelet writes it: `unix:///…/c.sock`. */
  readonly endpoint: string;
  readonly configFile: string;
  readonly logFile: string;
  #daemon: Daemon | undefined;

  constructor(options: NodeOptions) {
    this.name = options.name;
    this.dir = options.dir;
    this.socket = join(options.dir, options.socket ?? "c.sock");
    this.endpoint = `unix://${this.socket}`;
    this.configFile = join(options.dir, "config.toml");
    this.logFile = join(options.dir, "containerd.log");
    // The ttrpc socket adds ".ttrpc" to the gRPC one.
    if (Buffer.byteLength(`${this.socket}.ttrpc`) > MAX_SOCKET_PATH) {
      throw new ImagedriftError(
        "invalid-argument",
        `node dir ${options.dir} is too long for a unix socket path; use a short dir like /tmp/idl-XXXX`,
      );
    }
  }

  /** containerd's PID while it runs. */
  get pid(): number | undefined {
    return this.#daemon?.exit === undefined ? this.#daemon?.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** Starts (or restarts) containerd on the node's dirs and resolves once it has booted. */
  async start(): Promise<void> {
    if (this.running) return;
    const logOffset = await stat(this.logFile).then(
      (s) => s.size,
      () => 0,
    );
    this.#daemon = await startDaemon({
      name: `containerd ${this.name}`,
      command: CONTAINERD_BINARY,
      args: ["--config", this.configFile],
      logFile: this.logFile,
      ready: () => this.#bootedSince(logOffset),
    });
  }

  /** Stops containerd (SIGTERM, then SIGKILL). Its shims, containers and mounts stay, as on a real node. */
  async stop(): Promise<void> {
    await this.#daemon?.stop(10_000);
  }

  /** Stops containerd and removes everything of the node: shims, containers, mounts, the dir. */
  async teardown(): Promise<void> {
    await this.stop();
    reapDirSync(this.dir);
  }

  /** `ctr -a SOCKET -n k8s.io args…`; returns stdout. */
  async ctr(...args: string[]): Promise<string> {
    return (await runCtr({ socket: this.socket }, args)).stdout;
  }

  async #bootedSince(offset: number): Promise<boolean> {
    const file = await open(this.logFile, "r");
    try {
      const { size } = await file.stat();
      const buffer = Buffer.alloc(Math.max(0, size - offset));
      await file.read(buffer, 0, buffer.length, offset);
      return buffer.toString("utf8").includes(BOOTED);
    } finally {
      await file.close();
    }
  }
}

/** Writes the node's config and starts its containerd. */
export async function startNode(options: NodeOptions): Promise<ContainerdNode> {
  const node = new ContainerdNode(options);
  await mkdir(join(options.dir, "cni", "bin"), { recursive: true });
  await mkdir(join(options.dir, "cni", "conf"), { recursive: true });
  await mkdir(dirname(node.socket), { recursive: true });
  await writeFile(
    node.configFile,
    renderContainerdConfig({
      dir: options.dir,
      socket: node.socket,
      registryHost: options.registryHost,
      sandboxImage: options.sandboxImage,
      registryCredentials: options.registryCredentials,
    }),
  );
  await node.start();
  return node;
}
