/** The self-signed mode's files on a real temporary directory: made, reloaded, renewed, and refused when unsafe. */
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@imagedrift/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { certificateNames, loadOrCreateTls, TLS_FILES, TLS_LIFETIMES } from "./cert-store.js";

const NAMES = ["imagedrift-collector", "imagedrift-collector.imagedrift.svc", "127.0.0.1"];
const DAY_MS = 86_400_000;
const START = new Date("2027-01-10T00:00:00Z");

let parent: string;
let dir: string;
let lines: string[];

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), "idl-cert-store-"));
  dir = join(parent, "tls");
  lines = [];
});

afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

const log = () => createLogger({ write: (line) => lines.push(line), level: "debug" });
const load = (options: { names?: string[]; at?: Date } = {}) =>
  loadOrCreateTls({ dir, names: options.names ?? NAMES, log: log(), now: () => options.at ?? START });
const file = (name: string) => readFile(join(dir, name), "utf8");
const mode = async (name: string) => (await stat(join(dir, name))).mode & 0o777;

describe("loadOrCreateTls", () => {
  it("makes a P-256 CA and a server certificate it signs for the names, in a 0700 directory with 0600 keys", async () => {
    const made = await load();
    expect(await mode("")).toBe(0o700);
    expect(await mode(TLS_FILES.caKey)).toBe(0o600);
    expect(await mode(TLS_FILES.key)).toBe(0o600);
    const ca = new X509Certificate(await file(TLS_FILES.caCert));
    const server = new X509Certificate(await file(TLS_FILES.cert));
    expect(made.ca.cert).toBe(await file(TLS_FILES.caCert));
    expect(made.ca.cert).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(new Date(ca.validTo).getTime()).toBeGreaterThan(START.getTime() + 9 * 365 * DAY_MS);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    expect(certificateNames(server)).toEqual(NAMES);
    expect(server.checkHost("imagedrift-collector.imagedrift.svc")).toBe("imagedrift-collector.imagedrift.svc");
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth
    expect(new Date(server.validTo).getTime()).toBe(START.getTime() + TLS_LIFETIMES.serverDays * DAY_MS);
    expect(made.serverNotAfter.toISOString()).toBe(new Date(server.validTo).toISOString());
    expect((await file(TLS_FILES.caKey)).startsWith("-----BEGIN PRIVATE KEY-----")).toBe(true);
  });

  it("loads what is there on the next start, changing nothing", async () => {
    const first = await load();
    const written = (await stat(join(dir, TLS_FILES.cert))).mtimeMs;
    const again = await load({ at: new Date(START.getTime() + 30 * DAY_MS) });
    expect(again).toEqual(first);
    expect((await stat(join(dir, TLS_FILES.cert))).mtimeMs).toBe(written);
  });

  it("reissues the server certificate when it is near expiry or lacks a wanted name, keeping the CA", async () => {
    const first = await load();
    const late = new Date(
      START.getTime() + (TLS_LIFETIMES.serverDays - TLS_LIFETIMES.renewServerWithinDays + 1) * DAY_MS,
    );
    const renewed = await load({ at: late });
    expect(renewed.ca).toEqual(first.ca);
    expect(renewed.server.cert).not.toBe(first.server.cert);
    expect(renewed.serverNotAfter.getTime()).toBe(late.getTime() + TLS_LIFETIMES.serverDays * DAY_MS);
    expect(lines.join("\n")).toMatch(/"reason":"it expires on/);
    const renamed = await load({ names: [...NAMES, "collector.example.org"], at: late });
    expect(renamed.ca).toEqual(first.ca);
    expect(certificateNames(new X509Certificate(renamed.server.cert))).toContain("collector.example.org");
    expect(lines.join("\n")).toMatch(/"reason":"it does not name collector.example.org"/);
  });

  it("makes a server certificate again when its files are damaged, not its CA's", async () => {
    const first = await load();
    await writeFile(join(dir, TLS_FILES.key), "-----BEGIN PRIVATE KEY-----\ngarbage\n");
    const mended = await load();
    expect(mended.ca).toEqual(first.ca);
    expect(new X509Certificate(mended.server.cert).verify(new X509Certificate(first.ca.cert).publicKey)).toBe(true);
    expect(lines.join("\n")).toMatch(/cannot be read as PEM/);
  });

  it("replaces a server certificate another CA signed", async () => {
    await load();
    const other = join(parent, "other");
    const foreign = await loadOrCreateTls({ dir: other, names: NAMES, log: log(), now: () => START });
    await writeFile(join(dir, TLS_FILES.cert), foreign.server.cert);
    await writeFile(join(dir, TLS_FILES.key), foreign.server.key);
    const mended = await load();
    expect(mended.server.cert).not.toBe(foreign.server.cert);
    expect(lines.join("\n")).toMatch(/tls.crt is not signed by ca.crt/);
  });

  it("refuses a damaged CA, naming the file, and leaves it as it was", async () => {
    await load();
    await writeFile(join(dir, TLS_FILES.caCert), "not a certificate\n");
    await expect(load()).rejects.toThrow(
      /the CA in .*tls cannot be used: ca\.crt is not a PEM certificate\. .*move .*tls away/,
    );
    expect(await file(TLS_FILES.caCert)).toBe("not a certificate\n");
  });

  it("refuses a CA whose key is gone or is another key", async () => {
    const first = await load();
    const other = await loadOrCreateTls({ dir: join(parent, "other"), names: NAMES, log: log(), now: () => START });
    await writeFile(join(dir, TLS_FILES.caKey), other.ca.key);
    await expect(load()).rejects.toThrow(/ca\.key is not the key of ca\.crt/);
    await unlink(join(dir, TLS_FILES.caKey));
    await expect(load()).rejects.toThrow(/ca\.key is missing/);
    expect(await file(TLS_FILES.caCert)).toBe(first.ca.cert);
  });

  it("refuses an expired CA", async () => {
    await load();
    await expect(load({ at: new Date(START.getTime() + (TLS_LIFETIMES.caDays + 1) * DAY_MS) })).rejects.toThrow(
      /ca\.crt expired on/,
    );
  });

  it("makes the CA again when only its key is there: a first start cut short before ca.crt was written", async () => {
    await load();
    const strayKey = await file(TLS_FILES.caKey);
    await unlink(join(dir, TLS_FILES.caCert));
    const made = await load();
    expect(made.ca.key).not.toBe(strayKey);
    expect(lines.join("\n")).toMatch(/made a new CA.*"replacedKey":true/);
  });
});
