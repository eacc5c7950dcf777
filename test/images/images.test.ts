/**
 * The two images, built for real by `npm run images` (scripts/images/build.sh:
 * buildah, no Docker daemon; a base made from Debian's packages and npm where
 * node:24-bookworm-slim cannot be pulled), then looked at and run with buildah:
 * OCI labels, users, what is inside (Node and the app; no shell, npm or
 * compiler), the programs' --help, better-sqlite3 as the collector's user,
 * and the agent's size budget. Layers are cached, so a second run is quick.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoPath } from "../deploy/manifests.js";
import { exec } from "../lab/exec.js";

const BUILDAH = ["--storage-driver", "vfs"];
const buildah = (...args: string[]) => exec("buildah", [...BUILDAH, ...args], { timeoutMs: 300_000 });
const version = (app: string) =>
  (JSON.parse(readFileSync(repoPath(`packages/${app}/package.json`), "utf8")) as { version: string }).version;

/** The agent's budget, uncompressed. */
const AGENT_MAX_BYTES = 200_000_000;

interface ImageConfig {
  User?: string;
  Entrypoint?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
}

/** A working container of the image, mounted: its root filesystem, and `buildah run` in it (chroot). */
interface Mounted {
  root: string;
  config: ImageConfig;
  bytes: number;
  run: (...command: string[]) => Promise<string>;
  remove: () => Promise<void>;
}

async function mountImage(image: string): Promise<Mounted> {
  const inspected = JSON.parse((await buildah("inspect", "--type", "image", image)).stdout) as {
    Manifest: string;
    OCIv1: { config: ImageConfig };
  };
  const layers = (JSON.parse(inspected.Manifest) as { layers: { size: number }[] }).layers;
  const container = (await buildah("from", "--pull=false", image)).stdout.trim();
  const root = (await buildah("mount", container)).stdout.trim();
  return {
    root,
    config: inspected.OCIv1.config,
    bytes: layers.reduce((sum, layer) => sum + layer.size, 0),
    run: async (...command) => (await buildah("run", "--isolation", "chroot", container, "--", ...command)).stdout,
    remove: async () => {
      await buildah("umount", container);
      await buildah("rm", container);
    },
  };
}

/** Every file under a directory, as paths from the image's root (links not followed). */
function walk(root: string, dir = "/"): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(root, path) : [path];
  });
}

const APPS = ["agent", "collector"] as const;

describe("npm run images", () => {
  const images = new Map<(typeof APPS)[number], Mounted>();
  let buildOutput = "";

  beforeAll(async () => {
    buildOutput = (await exec("bash", [repoPath("scripts/images/build.sh")], { timeoutMs: 20 * 60_000 })).stdout;
    console.log(buildOutput.trim()); // sizes and build times, for the CI log
    for (const app of APPS) images.set(app, await mountImage(`localhost/imagedrift-${app}:${version(app)}`));
  }, 25 * 60_000);

  afterAll(async () => {
    for (const image of images.values()) await image.remove();
  });

  const image = (app: (typeof APPS)[number]) => {
    const mounted = images.get(app);
    if (!mounted) throw new Error(`imagedrift-${app} was not built`);
    return mounted;
  };

  it("prints each image's size and build time", () => {
    for (const app of APPS) {
      expect(buildOutput).toMatch(new RegExp(`imagedrift-${app}:${version(app)}\\s+[\\d.]+ MB\\s+\\d+ s`));
    }
  });

  it.each(APPS)(
    "imagedrift-%s carries the OCI labels: source, version, revision, licenses, description",
    async (app) => {
      const labels = image(app).config.Labels ?? {};
      const revision = (await exec("git", ["-C", repoPath("."), "rev-parse", "HEAD"])).stdout.trim();
      expect(labels["org.opencontainers.image.version"]).toBe(version(app));
      expect(labels["org.opencontainers.image.revision"]).toMatch(new RegExp(`^${revision}(-dirty)?$`));
      for (const key of ["source", "licenses", "description", "title"]) {
        expect(labels[`org.opencontainers.image.${key}`], key).toBeTruthy();
      }
      expect(labels["org.opencontainers.image.title"]).toBe(`imagedrift-${app}`);
    },
  );

  it("the collector runs as uid 65532 in a directory it owns; the agent as root (for the socket)", () => {
    const collector = image("collector");
    expect(collector.config.User).toBe("65532:65532");
    expect(collector.config.WorkingDir).toBe("/var/lib/imagedrift");
    const dir = statSync(join(collector.root, "var/lib/imagedrift"));
    expect([dir.uid, dir.gid]).toEqual([65532, 65532]);
    expect(image("agent").config.User).toBe("0:0");
  });

  it.each(APPS)("imagedrift-%s holds Node, env and the app: no shell, npm, package manager or compiler", (app) => {
    const { root } = image(app);
    const files = walk(root);
    const programs = files.filter((path) => /^\/(usr\/)?(local\/)?s?bin\//.test(path)).sort();
    expect(programs).toEqual(
      app === "collector"
        ? ["/usr/bin/env", "/usr/local/bin/imagedrift", "/usr/local/bin/node"]
        : ["/usr/bin/env", "/usr/local/bin/node"],
    );
    const forbidden = /\/(npm|npx|corepack|yarn|gcc|g\+\+|cc1|make|python3[.\d]*|apt|dpkg|bash|dash|sh)$/;
    expect(files.filter((path) => forbidden.test(path))).toEqual([]);
    expect(existsSync(join(root, "usr/local/lib/node_modules/npm"))).toBe(false);
    expect(existsSync(join(root, "usr/include"))).toBe(false);
    // The npm CA was a build secret: mounted for the npm steps, never written to a layer.
    expect(files.filter((path) => path.startsWith("/run/secrets"))).toEqual([]);
  });

  it("the agent runs its --help as the image's entrypoint does (shebang Node flags through /usr/bin/env)", async () => {
    const agent = image("agent");
    expect(agent.config.Entrypoint).toEqual(["/app/packages/agent/bin/imagedrift-agent.js"]);
    expect(await agent.run("/app/packages/agent/bin/imagedrift-agent.js", "--help")).toContain(
      "Usage: imagedrift-agent",
    );
  });

  it("the collector runs its --help, and the imagedrift CLI from the PATH, as uid 65532", async () => {
    const collector = image("collector");
    expect(collector.config.Entrypoint).toEqual(["/app/packages/collector/bin/imagedrift-collector.js"]);
    expect(await collector.run("/app/packages/collector/bin/imagedrift-collector.js", "--help")).toContain(
      "Usage: imagedrift-collector",
    );
    expect(await collector.run("imagedrift", "--help")).toContain("Usage: imagedrift");
    const ids = await collector.run("node", "-e", "console.log(process.getuid(), process.getgid())");
    expect(ids.trim()).toBe("65532 65532");
  });

  it("the collector's better-sqlite3 loads and writes a database in its working directory", async () => {
    const script =
      "const Db = require('/app/node_modules/better-sqlite3'); const db = new Db('probe.db');" +
      "db.exec('create table t (x)'); db.prepare('insert into t values (?)').run(1);" +
      "console.log(db.prepare('select count(*) as n from t').get().n); db.close(); require('fs').rmSync('probe.db')";
    expect((await image("collector").run("node", "-e", script)).trim()).toBe("1");
  });

  it(`the agent image is at most ${AGENT_MAX_BYTES / 1e6} MB uncompressed`, () => {
    expect(image("agent").bytes).toBeLessThanOrEqual(AGENT_MAX_BYTES);
    expect(image("agent").bytes).toBeGreaterThan(50_000_000); // Node itself: the sum is of real layers
  });
});
