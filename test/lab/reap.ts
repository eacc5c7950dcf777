/**
 * Tearing down what a lab dir left on the machine (README.md here, "Rules for tests"):
 * stopping containerd leaves its shims running (they leave containerd's
 * process group) and its sandbox `shm` and container `rootfs` mounts in place.
 * So: kill every process whose command line names the dir (containerd, shims,
 * the registry) and their children (container inits), unmount everything
 * under the dir deepest first, then delete it.
 *
 * Synchronous on purpose: the process `exit` handler of the safety net runs it.
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ImagedriftError } from "@imagedrift/core";
import { isAlive, sendSignal } from "./process.js";
import { waitForSync } from "./wait.js";

/** Where containerd 1.6 shims put their sockets: `/run/containerd/s/<sha256(address/namespace/id)>`, outside any lab dir. */
const SHIM_SOCKET_DIR = "/run/containerd/s";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
}

export function listProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8")
        .split("\0")
        .filter((a) => a !== "");
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      found.push({ pid: Number(name), ppid, argv });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Processes whose argv names `dir` or a path under it (not `dir` as a prefix of a longer name). */
export function processesUnder(dir: string, processes = listProcesses()): ProcessInfo[] {
  const names = (arg: string) => arg === dir || arg.includes(`${dir}/`) || arg.endsWith(`=${dir}`);
  return processes.filter((p) => p.pid !== process.pid && p.argv.some(names));
}

/** Mount points at or under `dir`, deepest first, from /proc/self/mounts. */
export function mountsUnder(dir: string): string[] {
  const decode = (field: string) =>
    field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => decode(line.split(" ")[1] ?? ""))
    .filter((mount) => mount === dir || mount.startsWith(`${dir}/`))
    .sort((a, b) => b.split("/").length - a.split("/").length || b.length - a.length);
}

/** Kills the processes under `dir` and their children, unmounts, deletes `dir`. Safe to call twice. */
export function reapDirSync(dir: string): void {
  const cgroups = runcCgroups(dir);
  const all = listProcesses();
  const targets = processesUnder(dir, all);
  const targetPids = new Set(targets.map((p) => p.pid));
  // Container inits are children of their shim (a subreaper); killing a shim would orphan them.
  const children = all.filter((p) => targetPids.has(p.ppid) && !targetPids.has(p.pid) && p.pid !== process.pid);
  for (const p of [...children, ...targets]) sendSignal(p.pid, "SIGKILL");
  waitForSync(() => [...children, ...targets].every((p) => !isAlive(p.pid)), 5_000);
  for (const shim of targets) removeShimSocket(shim.argv);
  // runc removes a container's cgroups on `delete`, which a killed shim never asks for.
  waitForSync(() => cgroups.every(removeCgroup), 3_000);

  for (let round = 0; round < 3; round++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) break;
    for (const mount of mounts) {
      try {
        execFileSync("umount", ["-l", mount], { stdio: "ignore" });
      } catch {
        // Already gone with a parent mount; the next round sees what is left.
      }
    }
  }
  const left = mountsUnder(dir);
  if (left.length > 0) throw new ImagedriftError("internal", `mounts left under ${dir}: ${left.join(", ")}`);
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * The cgroup dirs of the containers whose runc state lives under `dir` (the
 * nodes set runc's root to `<node dir>/runc`: `runc/<namespace>/<id>/state.json`).
 * With `disable_cgroup` runc still makes one per container in every hierarchy.
 */
function runcCgroups(dir: string): string[] {
  const found: string[] = [];
  const runcRoots = [join(dir, "runc"), ...subdirs(dir).map((node) => join(node, "runc"))];
  for (const container of runcRoots.flatMap(subdirs).flatMap(subdirs)) {
    try {
      const state = JSON.parse(readFileSync(join(container, "state.json"), "utf8")) as {
        cgroup_paths?: Record<string, string>;
      };
      found.push(...Object.values(state.cgroup_paths ?? {}).filter((path) => path.startsWith("/sys/fs/cgroup/")));
    } catch {
      // Not a container state dir.
    }
  }
  return [...new Set(found)];
}

/** Removes an empty cgroup dir; true once it is gone. */
function removeCgroup(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}

/** A killed shim cannot remove its socket; it is named by the hash of containerd's address, namespace and id. */
function removeShimSocket(argv: readonly string[]): void {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const [address, namespace, id] = [flag("-address"), flag("-namespace"), flag("-id")];
  if (!address || !namespace || !id || !argv.some((a) => a.includes("containerd-shim"))) return;
  const hash = createHash("sha256")
    .update(join(address, namespace, id))
    .digest("hex");
  rmSync(join(SHIM_SOCKET_DIR, hash), { force: true });
}
