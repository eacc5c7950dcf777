/**
 * Best effort against an aborted test run leaving containerd, shims, the
 * registry or mounts behind. Two layers:
 *
 * - in this process: on `exit` and on SIGINT/SIGTERM/SIGHUP, every guarded
 *   lab dir is reaped synchronously (see reap.ts);
 * - a detached watchdog shell per lab dir that waits for this process to
 *   disappear (it may be SIGKILLed, e.g. a test worker torn down) and then does
 *   the same reaping. `release()` stops it once the lab has been torn down.
 *
 * The watchdog gets the dir through its environment, never its argv, so that
 * it does not match its own "processes naming the dir" rule.
 */
import { spawn } from "node:child_process";
import { sendSignal } from "./process.js";
import { reapDirSync } from "./reap.js";

const guarded = new Set<string>();
let installed = false;

/**
 * The watchdog's reaping mirrors reapDirSync: processes naming the dir and
 * their children, shim sockets, runc cgroups, mounts deepest first, the dir.
 */
const WATCHDOG = `
while kill -0 "$WATCH_PID" 2>/dev/null && [ -d "$LAB_DIR" ]; do sleep 1; done
[ -d "$LAB_DIR" ] || exit 0
cgroups=$(cat "$LAB_DIR"/runc/*/*/state.json "$LAB_DIR"/*/runc/*/*/state.json 2>/dev/null | grep -o '"/sys/fs/cgroup/[^"]*"' | tr -d '"')
shim_socket() {
  ns=""; id=""; addr=""
  while [ $# -gt 1 ]; do
    case "$1" in -namespace) ns=$2;; -id) id=$2;; -address) addr=$2;; esac
    shift
  done
  [ -n "$ns" ] && [ -n "$id" ] && [ -n "$addr" ] && printf '%s' "$addr/$ns/$id" | sha256sum | cut -d' ' -f1
}
own=""; sockets=""
for p in /proc/[0-9]*; do
  c=$(tr '\\0' ' ' < "$p/cmdline" 2>/dev/null) || continue
  case "$c" in
    *"$LAB_DIR/"*)
      own="$own \${p#/proc/}"
      case "$c" in *containerd-shim*) sockets="$sockets $(shim_socket $c)";; esac;;
  esac
done
for p in /proc/[0-9]*; do
  read -r _ _ _ ppid _ < "$p/stat" 2>/dev/null || continue
  case " $own " in *" $ppid "*) kill -9 "\${p#/proc/}" 2>/dev/null;; esac
done
for p in $own; do kill -9 "$p" 2>/dev/null; done
for s in $sockets; do rm -f "/run/containerd/s/$s"; done
for attempt in 1 2 3; do
  left=""
  for c in $cgroups; do [ -d "$c" ] && { rmdir "$c" 2>/dev/null || left="$left $c"; }; done
  [ -z "$left" ] && break
  sleep 1
done
awk 'index($2, ENVIRON["LAB_DIR"] "/") == 1 { print length($2), $2 }' /proc/self/mounts | sort -rn | cut -d' ' -f2- |
  while read -r m; do umount -l "$m" 2>/dev/null; done
rm -rf "$LAB_DIR"
`;

export interface Guard {
  /** Stops watching `dir` (after the lab reaped it itself). */
  release(): void;
}

/** Reaps `dir` if this process ends (or is killed) before `release()`. */
export function guardDir(dir: string): Guard {
  installHandlers();
  guarded.add(dir);
  const watchdog = spawn("/bin/sh", ["-c", WATCHDOG], {
    detached: true,
    stdio: "ignore",
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LAB_DIR: dir, WATCH_PID: String(process.pid) },
  });
  watchdog.unref();
  return {
    release() {
      guarded.delete(dir);
      if (watchdog.pid !== undefined && watchdog.exitCode === null) sendSignal(watchdog.pid, "SIGTERM");
    },
  };
}

function reapAll(): void {
  for (const dir of guarded) {
    try {
      reapDirSync(dir);
    } catch {
      // Best effort: the watchdog tries again once this process is gone.
    }
    guarded.delete(dir);
  }
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on("exit", reapAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      reapAll();
      // Our listener replaced the default action; restore it when nobody else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
