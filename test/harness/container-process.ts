/**
 * The host's view of a container's main process, to check what the runtime
 * really applied (uid, groups, capabilities, no_new_privs, seccomp, a
 * read-only root): a container of a pod is a child of the pod's shim, whose
 * command line names the sandbox id (`-id <sandbox>`).
 */
import { readFileSync } from "node:fs";
import { listProcesses } from "../lab/reap.js";
import type { RunningPod } from "./kubelet.js";

export interface ContainerProcess {
  pid: number;
  argv: string[];
  /** Fields of /proc/PID/status: Uid, Gid, Groups, CapEff, NoNewPrivs, Seccomp. */
  status: Record<string, string>;
  /** Whether / is mounted read-only in the container (/proc/PID/mountinfo). */
  readOnlyRoot: boolean;
}

/** The pod's process whose command line has `marker` (e.g. `--db=`). */
export function containerProcess(pod: RunningPod, marker: string): ContainerProcess {
  const all = listProcesses();
  const shims = all.filter((p) => p.argv.includes(pod.sandboxId) && p.argv.some((a) => a.includes("shim")));
  const shimPids = new Set(shims.map((p) => p.pid));
  const found = all.filter((p) => shimPids.has(p.ppid) && p.argv.some((a) => a.includes(marker)));
  if (found.length !== 1) {
    throw new Error(
      `expected one process of pod ${pod.name} with ${marker} in its command line, found ${found.length}`,
    );
  }
  const { pid, argv } = found[0] as { pid: number; argv: string[] };
  const status = Object.fromEntries(
    readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .map((line) => line.split(":\t") as [string, string | undefined])
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, (value ?? "").trim()]),
  );
  const root = readFileSync(`/proc/${pid}/mountinfo`, "utf8")
    .split("\n")
    .find((line) => line.split(" ")[4] === "/");
  const readOnlyRoot = (root?.split(" ")[5] ?? "").split(",").includes("ro");
  return { pid, argv, status, readOnlyRoot };
}
