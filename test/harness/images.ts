/**
 * The two images as the harness runs them: built by `npm run images`
 * (scripts/images/build.sh, which takes a lock so that concurrent runs
 * serialise and the second reuses the layer cache), then pushed from
 * buildah's storage to the lab registry, as a user pushes them to theirs.
 */
import { readFileSync } from "node:fs";
import { repoPath } from "../deploy/manifests.js";
import { exec } from "../lab/exec.js";

export const APPS = ["agent", "collector"] as const;
export type App = (typeof APPS)[number];

export const version = (app: App): string =>
  (JSON.parse(readFileSync(repoPath(`packages/${app}/package.json`), "utf8")) as { version: string }).version;

export const localImage = (app: App): string => `localhost/imagedrift-${app}:${version(app)}`;

/** Runs `scripts/images/build.sh`; returns its output (each image's size and build time). */
export async function buildImages(): Promise<string> {
  return (await exec("bash", [repoPath("scripts/images/build.sh")], { timeoutMs: 25 * 60_000 })).stdout;
}

/** Pushes both images to `registryHost` (plain HTTP on loopback); returns each one's name there and the seconds it took. */
export async function pushImages(
  registryHost: string,
): Promise<{ images: Record<`imagedrift-${App}`, { name: string; tag: string }>; seconds: Record<App, number> }> {
  const images = {} as Record<`imagedrift-${App}`, { name: string; tag: string }>;
  const seconds = {} as Record<App, number>;
  for (const app of APPS) {
    const name = `${registryHost}/imagedrift-${app}`;
    const started = performance.now();
    await exec(
      "buildah",
      [
        "--storage-driver",
        "vfs",
        "push",
        "--quiet",
        "--tls-verify=false",
        localImage(app),
        `docker://${name}:${version(app)}`,
      ],
      { timeoutMs: 10 * 60_000 },
    );
    seconds[app] = (performance.now() - started) / 1000;
    images[`imagedrift-${app}`] = { name, tag: version(app) };
  }
  return { images, seconds };
}
