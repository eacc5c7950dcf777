/**
 * The config (version 2) of one lab node's containerd: everything it writes
 * stays in the node's dir, nothing listens on TCP but the CRI streaming server
 * on loopback, and CRI talks plain HTTP to the lab registry (README.md here).
 */
import { join } from "node:path";
import { SNAPSHOTTER } from "./ctr.js";
import type { Credentials } from "./htpasswd.js";

export interface ContainerdConfigOptions {
  /** The node's dir; root, state, runc state, CNI dirs live under it. */
  dir: string;
  /** gRPC socket path (short: unix socket paths hold at most 107 bytes). */
  socket: string;
  /** `127.0.0.1:PORT` of the lab registry. */
  registryHost: string;
  /** The pause image CRI starts each sandbox from, on the lab registry. */
  sandboxImage: string;
  /** When the registry wants Basic auth. */
  registryCredentials?: Credentials | undefined;
}

/**
 * Plugins a lab node does not load: snapshotters it does not use (they probe
 * or need kernel features), and `opt`, which would create /opt/containerd.
 * overlayfs is off as well, so that anything not asking for `native` fails
 * loudly instead of mounting overlays.
 */
export const DISABLED_PLUGINS = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.overlayfs",
  "io.containerd.internal.v1.opt",
];

export function renderContainerdConfig(options: ContainerdConfigOptions): string {
  const q = (value: string) => JSON.stringify(value);
  const cri = `[plugins."io.containerd.grpc.v1.cri"`;
  const registry = `${cri}.registry`;
  const lines = [
    "version = 2",
    `root = ${q(join(options.dir, "root"))}`,
    `state = ${q(join(options.dir, "state"))}`,
    `disabled_plugins = [${DISABLED_PLUGINS.map(q).join(", ")}]`,
    "",
    "[grpc]",
    `  address = ${q(options.socket)}`,
    "[ttrpc]",
    `  address = ${q(`${options.socket}.ttrpc`)}`,
    "[debug]",
    `  address = ""`,
    `  level = "info"`,
    "[metrics]",
    `  address = ""`,
    "",
    `${cri}]`,
    "  disable_cgroup = true",
    "  disable_apparmor = true",
    "  restrict_oom_score_adj = true",
    "  disable_tcp_service = true",
    `  stream_server_address = "127.0.0.1"`,
    `  stream_server_port = "0"`,
    `  sandbox_image = ${q(options.sandboxImage)}`,
    `${cri}.containerd]`,
    `  snapshotter = ${q(SNAPSHOTTER)}`,
    `  default_runtime_name = "runc"`,
    `${cri}.containerd.runtimes.runc]`,
    `  runtime_type = "io.containerd.runc.v2"`,
    `${cri}.containerd.runtimes.runc.options]`,
    // runc keeps container state here instead of the machine-wide /run/containerd/runc.
    `  Root = ${q(join(options.dir, "runc"))}`,
    `${cri}.cni]`,
    // Pods run with host network, so no CNI plugin is ever called; these dirs stay empty.
    `  bin_dir = ${q(join(options.dir, "cni", "bin"))}`,
    `  conf_dir = ${q(join(options.dir, "cni", "conf"))}`,
    `${registry}.mirrors.${q(options.registryHost)}]`,
    `  endpoint = [${q(`http://${options.registryHost}`)}]`,
  ];
  if (options.registryCredentials) {
    lines.push(
      `${registry}.configs.${q(options.registryHost)}.auth]`,
      `  username = ${q(options.registryCredentials.username)}`,
      `  password = ${q(options.registryCredentials.password)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
