/**
 * A pod's volumes on the node, as kubelet lays them out before it creates the
 * containers (test/harness/README.md says where the harness differs):
 *
 * - hostPath: the node's own directory for that path (each lab node is a
 *   containerd process whose socket directory stands for /run/containerd);
 * - secret: the Secret's keys as files, read through the API, written with
 *   kubelet's atomic layout (`..data` → a timestamped dir, each key a link
 *   into it) so that a resync swaps them all at once;
 * - emptyDir: a fresh 0777 directory; a PVC from volumeClaimTemplates: a fresh
 *   directory, as a provisioner makes it;
 * - the service account's token, ca.crt and namespace when the pod mounts it;
 * - with the pod's fsGroup, kubelet's SetVolumeOwnership: group fsGroup, group
 *   read (and write, for writable volumes), setgid on directories.
 */
import { chmod, chown, mkdir, readdir, readlink, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CriMount } from "@imagedrift/cri";
import type { Container, PodSpec } from "../deploy/manifests.js";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface VolumeSources {
  /** The node's directory for a hostPath; throws for a path the node does not have. */
  hostPath(path: string): string;
  /** A Secret's data from the API, or null. */
  secret(name: string): Promise<Record<string, string> | null>;
  /** The service account's files (token, ca.crt, namespace), when the pod mounts them. */
  serviceAccount?: Record<string, string>;
}

export interface PodVolumes {
  /** The CRI mounts of one container of the pod, from its volumeMounts. */
  mountsFor(container: Container): CriMount[];
  /** Rewrites every secret volume from the API, as kubelet's periodic resync does. */
  syncSecrets(): Promise<void>;
}

interface Materialised {
  hostPath: string;
  /** Secret volumes: how to write them again. */
  secret?: { name: string; mode: number };
}

type PodSpecWithClaims = PodSpec & { volumeClaims?: string[] };

export async function materialiseVolumes(
  spec: PodSpecWithClaims,
  podDir: string,
  sources: VolumeSources,
): Promise<PodVolumes> {
  const fsGroup = (spec.securityContext?.fsGroup as number | undefined) ?? null;
  const volumes = new Map<string, Materialised>();
  /** What each secret volume holds now, to rewrite it only when the Secret changed. */
  const written = new Map<string, string>();
  const writeSecret = async (dir: string, name: string, mode: number) => {
    const data = await sources.secret(name);
    if (data === null) throw new Error(`Secret ${name} (a volume of the pod) does not exist`);
    const text = JSON.stringify(data);
    if (written.get(dir) === text) return;
    await atomicWrite(dir, data, { mode, fsGroup });
    written.set(dir, text);
  };

  for (const volume of spec.volumes ?? []) {
    const dir = join(podDir, "volumes", volume.name);
    if (volume.hostPath) {
      const hostPath = sources.hostPath(volume.hostPath.path);
      const info = await stat(hostPath).catch(() => null);
      if (volume.hostPath.type === "Directory" && !info?.isDirectory()) {
        throw new Error(`hostPath ${volume.hostPath.path} (volume ${volume.name}) is not a directory on the node`);
      }
      volumes.set(volume.name, { hostPath });
    } else if (volume.secret) {
      const mode = volume.secret.defaultMode ?? 0o644;
      await mkdir(dir, { recursive: true });
      await writeSecret(dir, volume.secret.secretName, mode);
      volumes.set(volume.name, { hostPath: dir, secret: { name: volume.secret.secretName, mode } });
    } else if (volume.emptyDir) {
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o777);
      await ownForGroup(dir, fsGroup, true);
      volumes.set(volume.name, { hostPath: dir });
    } else {
      throw new Error(`volume ${volume.name}: the harness makes hostPath, secret and emptyDir volumes only`);
    }
  }
  for (const claim of spec.volumeClaims ?? []) {
    const dir = join(podDir, "claims", claim);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await ownForGroup(dir, fsGroup, true);
    volumes.set(claim, { hostPath: dir });
  }
  const serviceAccountDir = join(podDir, "volumes", "kube-api-access");
  if (sources.serviceAccount) {
    await mkdir(serviceAccountDir, { recursive: true });
    await atomicWrite(serviceAccountDir, sources.serviceAccount, { mode: 0o644, fsGroup });
  }

  return {
    mountsFor(container) {
      const mounts: CriMount[] = (container.volumeMounts ?? []).map((mount) => {
        const volume = volumes.get(mount.name);
        if (!volume) throw new Error(`container ${container.name} mounts volume ${mount.name}, which the pod lacks`);
        return { containerPath: mount.mountPath, hostPath: volume.hostPath, readonly: mount.readOnly ?? false };
      });
      if (sources.serviceAccount) {
        mounts.push({ containerPath: SERVICE_ACCOUNT_DIR, hostPath: serviceAccountDir, readonly: true });
      }
      return mounts;
    },
    async syncSecrets() {
      for (const { hostPath, secret } of volumes.values()) {
        if (secret) await writeSecret(hostPath, secret.name, secret.mode);
      }
    },
  };
}

/**
 * kubelet's AtomicWriter: the files go into a new `..<time>` dir, `..data` is
 * switched to it with one rename, and each key is a link `key → ..data/key`.
 */
async function atomicWrite(
  dir: string,
  files: Record<string, string>,
  options: { mode: number; fsGroup: number | null },
): Promise<void> {
  const previous = await readlink(join(dir, "..data")).catch(() => null);
  const version = `..${new Date().toISOString().replace(/[:.]/g, "_")}.${process.hrtime.bigint()}`;
  await mkdir(join(dir, version));
  for (const [key, value] of Object.entries(files)) {
    const path = join(dir, version, key);
    await writeFile(path, value);
    await chmod(path, options.fsGroup === null ? options.mode : options.mode | 0o440);
    if (options.fsGroup !== null) await chown(path, 0, options.fsGroup);
  }
  await chmod(join(dir, version), 0o755);
  await symlink(version, join(dir, "..data_tmp"));
  await rename(join(dir, "..data_tmp"), join(dir, "..data"));
  const present = new Set(await readdir(dir));
  for (const key of Object.keys(files)) {
    if (!present.has(key)) await symlink(join("..data", key), join(dir, key));
  }
  if (previous !== null) await rm(join(dir, previous), { recursive: true, force: true });
}

/** SetVolumeOwnership for a writable volume: group fsGroup, group rwx, setgid. */
async function ownForGroup(dir: string, fsGroup: number | null, writable: boolean): Promise<void> {
  if (fsGroup === null) return;
  const { mode } = await stat(dir);
  await chown(dir, 0, fsGroup);
  await chmod(dir, (mode & 0o7777) | 0o2000 | (writable ? 0o070 : 0o050));
}
