/**
 * A small ustar (POSIX.1-1988) writer: regular files, directories and
 * symlinks, owned by root, with mtime 0 so that the same entries always give
 * the same bytes (and so the same layer digest).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ImagedriftError } from "@imagedrift/core";

export type TarEntry =
  | { type: "file"; path: string; content: Buffer | string; mode?: number }
  | { type: "dir"; path: string; mode?: number }
  | { type: "symlink"; path: string; target: string };

const BLOCK = 512;

/** The tar archive of `entries`, in order, closed by two zero blocks. */
export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === "file" ? Buffer.from(entry.content) : Buffer.alloc(0);
    parts.push(header(entry, content.length));
    if (content.length > 0) {
      parts.push(content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK));
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const path = entry.type === "dir" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  const [prefix, name] = splitPath(path);
  const defaultMode = entry.type === "file" ? 0o644 : 0o755;
  block.write(name, 0, 100, "utf8");
  writeOctal(block, 100, 8, entry.type === "symlink" ? 0o777 : (entry.mode ?? defaultMode));
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, 0); // mtime
  block.write({ file: "0", dir: "5", symlink: "2" }[entry.type], 156, 1, "ascii");
  if (entry.type === "symlink") {
    if (Buffer.byteLength(entry.target) > 100)
      throw new ImagedriftError("invalid-argument", `symlink target too long for ustar: ${entry.target}`);
    block.write(entry.target, 157, 100, "utf8");
  }
  block.write("ustar\0", 257, 6, "ascii");
  block.write("00", 263, 2, "ascii");
  block.write("root", 265, 32, "ascii");
  block.write("root", 297, 32, "ascii");
  block.write(prefix, 345, 155, "utf8");
  // The checksum is computed with its own field read as eight spaces.
  block.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return block;
}

/** ustar keeps names of up to 100 bytes, plus a prefix of up to 155 bytes cut at a "/". */
function splitPath(path: string): [prefix: string, name: string] {
  if (Buffer.byteLength(path) <= 100) return ["", path];
  for (let cut = path.indexOf("/"); cut !== -1; cut = path.indexOf("/", cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== "") return [prefix, name];
  }
  throw new ImagedriftError("invalid-argument", `path too long for ustar: ${path}`);
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1)
    throw new ImagedriftError("invalid-argument", `value ${value} does not fit a ${length}-byte tar field`);
  block.write(`${digits.padStart(length - 1, "0")}\0`, offset, length, "ascii");
}

/** A layer file: its content, or content and mode (default 0644). */
export type LayerFile = Buffer | string | { content: Buffer | string; mode: number };

/**
 * Entries for `files` (absolute or relative path → content) and `symlinks`
 * (path → target), each parent directory listed once before its children,
 * sorted so that the output is stable.
 */
export function layerEntries(
  files: Readonly<Record<string, LayerFile>>,
  symlinks: Readonly<Record<string, string>> = {},
): TarEntry[] {
  const clean = (path: string) => path.replace(/^\/+/, "");
  const dirs = new Set<string>();
  for (const path of [...Object.keys(files), ...Object.keys(symlinks)].map(clean)) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  const byPath = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);
  const entries: TarEntry[] = [...dirs].sort().map((path) => ({ type: "dir", path }));
  for (const [path, file] of Object.entries(files).sort(byPath)) {
    const { content, mode } = typeof file === "string" || Buffer.isBuffer(file) ? { content: file, mode: 0o644 } : file;
    entries.push({ type: "file", path: clean(path), content, mode });
  }
  for (const [path, target] of Object.entries(symlinks).sort(byPath)) {
    entries.push({ type: "symlink", path: clean(path), target });
  }
  return entries;
}

/** Every file and folder under `dir`, relative to it (e.g. an OCI layout, for `ctr images import`). */
export async function directoryEntries(dir: string, base = ""): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const children = (await readdir(join(dir, base), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const child of children) {
    const path = base ? `${base}/${child.name}` : child.name;
    if (child.isDirectory()) {
      entries.push({ type: "dir", path }, ...(await directoryEntries(dir, path)));
    } else if (child.isFile()) {
      entries.push({ type: "file", path, content: await readFile(join(dir, path)) });
    }
  }
  return entries;
}
