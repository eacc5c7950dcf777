/**
 * The `--registries-config` file kept current while the collector runs: the
 * file and every file it names (password files, dockerconfigjson secrets, CA
 * files) are read again when their folder changes (fs.watch: a Kubernetes
 * Secret volume updates by swapping its `..data` symlink, an ECR refresher
 * rewrites a file) and, as a fallback for filesystems whose events do not
 * arrive, every `pollMs`. Content, not timestamps, decides: unchanged bytes
 * change nothing. A new version that does not parse is refused with one log
 * line naming every problem, and the last good one stays in force.
 *
 * Readers see the current version through `hosts` on each use; the registry
 * client makes a host's state (tokens, limiter) anew when its entry changes.
 */
import { createHash } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Logger, silentLogger } from "@imagedrift/core";
import type { CloudIdentity } from "./cloud-identity.js";
import { type FileReader, loadRegistriesConfig } from "./registries-config.js";
import type { RegistriesConfig, RegistryHostConfig } from "./registry-host.js";

export interface LiveRegistriesOptions {
  path: string;
  readFile: FileReader;
  cloud?: CloudIdentity | undefined;
  log?: Logger;
  /** The fallback re-read; default 30 s. */
  pollMs?: number;
  /** Watch the folders for changes (default true); the poll runs either way. */
  watch?: boolean;
}

export type ReloadOutcome = "unchanged" | "reloaded" | "refused";

const DEFAULT_POLL_MS = 30_000;
/** Events come in bursts (a symlink swap is several): one check after they settle. */
const SETTLE_MS = 200;

export class LiveRegistries implements RegistriesConfig {
  readonly #options: LiveRegistriesOptions;
  readonly #log: Logger;
  #current: RegistriesConfig;
  /** The files the last version read (the config first), and a hash of their bytes. */
  #files: string[];
  #fingerprint: string;
  #refused: string | undefined;
  #watchers: FSWatcher[] = [];
  #timers: NodeJS.Timeout[] = [];
  #settle: NodeJS.Timeout | undefined;
  #checking: Promise<ReloadOutcome> | undefined;

  private constructor(options: LiveRegistriesOptions, loaded: Loaded) {
    this.#options = options;
    this.#log = options.log ?? silentLogger;
    this.#current = loaded.config;
    this.#files = loaded.files;
    this.#fingerprint = loaded.fingerprint;
  }

  /** Loads the file; throws ImagedriftError("invalid-config") when it is wrong, as at start there is no last good one. */
  static async load(options: LiveRegistriesOptions): Promise<LiveRegistries> {
    const loaded = await load(options);
    if ("error" in loaded) throw loaded.error;
    return new LiveRegistries(options, loaded);
  }

  get hosts(): ReadonlyMap<string, RegistryHostConfig> {
    return this.#current.hosts;
  }

  get cloud(): CloudIdentity | undefined {
    return this.#current.cloud;
  }

  /** Re-reads the files; parses and swaps in a new version when their bytes changed. */
  check(): Promise<ReloadOutcome> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /** Watches the files' folders and polls; `stop` ends both. */
  start(): void {
    if (this.#options.watch !== false) this.#rewatch();
    const timer = setInterval(() => void this.check(), this.#options.pollMs ?? DEFAULT_POLL_MS);
    timer.unref();
    this.#timers.push(timer);
  }

  stop(): void {
    for (const watcher of this.#watchers) watcher.close();
    for (const timer of this.#timers) clearInterval(timer);
    if (this.#settle) clearTimeout(this.#settle);
    this.#watchers = [];
    this.#timers = [];
  }

  async #check(): Promise<ReloadOutcome> {
    const fingerprint = await fingerprintOf(this.#files, this.#options.readFile);
    if (fingerprint === this.#fingerprint || fingerprint === this.#refused) return "unchanged";
    const loaded = await load(this.#options);
    if ("error" in loaded) {
      this.#refused = fingerprint;
      this.#log.error("registries config changed but is invalid; the last good one stays in force", {
        path: this.#options.path,
        error: loaded.error.message,
      });
      return "refused";
    }
    const watched = this.#files.join("\n");
    this.#current = loaded.config;
    this.#files = loaded.files;
    this.#fingerprint = await fingerprintOf(loaded.files, this.#options.readFile);
    this.#refused = undefined;
    this.#log.info("registries config reloaded", { path: this.#options.path, registries: loaded.config.hosts.size });
    if (this.#watchers.length > 0 && watched !== loaded.files.join("\n")) this.#rewatch();
    return "reloaded";
  }

  #rewatch(): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    for (const folder of new Set(this.#files.map((file) => dirname(file)))) {
      try {
        const watcher = watch(folder, () => this.#changed());
        watcher.on("error", () => watcher.close());
        this.#watchers.push(watcher);
      } catch (error) {
        // The poll still covers this folder.
        this.#log.warn("cannot watch a registries config folder; relying on the periodic check", {
          folder,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  #changed(): void {
    if (this.#settle) clearTimeout(this.#settle);
    this.#settle = setTimeout(() => void this.check(), SETTLE_MS);
    this.#settle.unref();
  }
}

interface Loaded {
  config: RegistriesConfig;
  files: string[];
  fingerprint: string;
}

async function load(options: LiveRegistriesOptions): Promise<Loaded | { error: Error }> {
  const path = resolve(options.path);
  const files = [path];
  const reader: FileReader = (file) => {
    if (!files.includes(file)) files.push(file);
    return options.readFile(file);
  };
  try {
    const config = await loadRegistriesConfig(path, reader, options.cloud);
    return { config, files, fingerprint: await fingerprintOf(files, options.readFile) };
  } catch (error) {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** A hash of the files' bytes (a missing file counts as such), never the bytes themselves. */
async function fingerprintOf(files: readonly string[], readFile: FileReader): Promise<string> {
  const hash = createHash("sha256");
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file);
    } catch (error) {
      text = `\0missing:${(error as { code?: string }).code ?? "error"}`;
    }
    hash.update(file).update("\0").update(text).update("\0");
  }
  return hash.digest("hex");
}
