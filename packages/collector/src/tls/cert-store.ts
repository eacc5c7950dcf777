/**
 * The self-signed mode's files (docs/ARCHITECTURE.md#agent-collector-tls):
 * under one directory on the collector's volume, `ca.crt` and `ca.key` (the
 * CA agents trust, kept for years so that agents need not change) and
 * `tls.crt` and `tls.key` (the server certificate it signs, reissued when
 * near expiry or when the names it must carry change). Every file is written
 * to a temporary name, synced and renamed, so a crash never leaves half a key.
 *
 * The CA is made only when there is none. A CA that is there but cannot be
 * used (unreadable, key and certificate apart, expired) stops the collector:
 * agents trust it, and replacing it quietly would hide whatever damaged it.
 * The server certificate is derived, so a bad one is simply made again.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmod, mkdir, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { ImagedriftError, type Logger, toImagedriftError } from "@imagedrift/core";
import type { Issued } from "./certificates.js";

export const TLS_FILES = { caCert: "ca.crt", caKey: "ca.key", cert: "tls.crt", key: "tls.key" } as const;

/** How long each certificate lasts and when the server's is reissued. */
export const TLS_LIFETIMES = { caDays: 3650, serverDays: 90, renewServerWithinDays: 30 } as const;

const DAY_MS = 86_400_000;

export interface CertStoreOptions {
  dir: string;
  /** DNS names and IP addresses the server certificate must carry. */
  names: readonly string[];
  log: Logger;
  now?: () => Date;
}

export interface StoredTls {
  ca: Issued;
  server: Issued;
  /** When the server certificate expires. */
  serverNotAfter: Date;
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw thrown;
  }
}

/** Writes `text` to `path` through a synced temporary file and a rename. */
async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, "w", mode);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The names a certificate's subjectAltName carries. */
export function certificateNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? "")
    .split(", ")
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ""))
    .filter((name) => name !== "");
}

/** Why the CA files cannot be used, or null; throws nothing. */
function caProblem(ca: Issued, now: Date): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(ca.cert);
  } catch {
    return `${TLS_FILES.caCert} is not a PEM certificate`;
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(ca.key)))
      return `${TLS_FILES.caKey} is not the key of ${TLS_FILES.caCert}`;
  } catch {
    return `${TLS_FILES.caKey} is not a PEM private key`;
  }
  if (!cert.ca) return `${TLS_FILES.caCert} is not a CA certificate`;
  if (new Date(cert.validTo) <= now) return `${TLS_FILES.caCert} expired on ${new Date(cert.validTo).toISOString()}`;
  return null;
}

/** Why the server files must be made again, or null when they serve. */
function serverProblem(options: {
  server: Partial<Issued>;
  ca: Issued;
  names: readonly string[];
  now: Date;
}): string | null {
  const { server, ca, names, now } = options;
  if (server.cert === undefined || server.key === undefined) return "there is none";
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(server.cert);
    if (!cert.checkPrivateKey(createPrivateKey(server.key)))
      return `${TLS_FILES.key} is not the key of ${TLS_FILES.cert}`;
  } catch {
    return `${TLS_FILES.cert} or ${TLS_FILES.key} cannot be read as PEM`;
  }
  if (!cert.verify(new X509Certificate(ca.cert).publicKey))
    return `${TLS_FILES.cert} is not signed by ${TLS_FILES.caCert}`;
  const left = new Date(cert.validTo).getTime() - now.getTime();
  if (left < TLS_LIFETIMES.renewServerWithinDays * DAY_MS)
    return `it expires on ${new Date(cert.validTo).toISOString()}`;
  const carried = new Set(certificateNames(cert));
  const missing = names.filter((name) => !carried.has(name));
  if (missing.length > 0) return `it does not name ${missing.join(", ")}`;
  return null;
}

/** Loads the CA and server certificate under `dir`, making what is missing or due; see the module comment. */
export async function loadOrCreateTls(options: CertStoreOptions): Promise<StoredTls> {
  const { dir, log } = options;
  const now = options.now?.() ?? new Date();
  const at = (file: string) => join(dir, file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const caCert = await readIfThere(at(TLS_FILES.caCert));
  const caKey = await readIfThere(at(TLS_FILES.caKey));
  let ca: Issued;
  let madeCa = false;
  if (caCert === undefined) {
    // ca.crt is written last: a ca.key without it is a first start that was cut short, never a CA anyone trusts.
    const { makeCa } = await import("./certificates.js");
    ca = await makeCa({ now, days: TLS_LIFETIMES.caDays });
    await writeAtomically(at(TLS_FILES.caKey), ca.key, 0o600);
    await writeAtomically(at(TLS_FILES.caCert), ca.cert, 0o644);
    madeCa = true;
    log.info("made a new CA for the agents' gRPC connections", {
      file: at(TLS_FILES.caCert),
      replacedKey: caKey !== undefined,
    });
  } else {
    const problem =
      caKey === undefined ? `${TLS_FILES.caKey} is missing` : caProblem({ cert: caCert, key: caKey }, now);
    if (problem !== null || caKey === undefined) {
      throw new ImagedriftError(
        "invalid-config",
        `--tls-self-signed: the CA in ${dir} cannot be used: ${problem}. Agents trust this CA, so the collector does not replace it by itself: move ${dir} away to have a new one made (agents take the new ca.crt from the Secret the collector publishes it to)`,
      );
    }
    ca = { cert: caCert, key: caKey };
  }
  const server: Partial<Issued> = madeCa
    ? {}
    : { cert: await readIfThere(at(TLS_FILES.cert)), key: await readIfThere(at(TLS_FILES.key)) };
  const why = madeCa ? "the CA is new" : serverProblem({ server, ca, names: options.names, now });
  if (why === null) {
    const cert = new X509Certificate(server.cert ?? "");
    return { ca, server: server as Issued, serverNotAfter: new Date(cert.validTo) };
  }
  const { makeServerCertificate } = await import("./certificates.js");
  const issued = await makeServerCertificate({
    ca,
    names: options.names,
    validity: { now, days: TLS_LIFETIMES.serverDays },
  });
  await writeAtomically(at(TLS_FILES.key), issued.key, 0o600);
  await writeAtomically(at(TLS_FILES.cert), issued.cert, 0o644);
  await syncDir(dir).catch((thrown: unknown) =>
    log.debug("could not sync the TLS directory", { error: toImagedriftError(thrown) }),
  );
  const notAfter = new Date(new X509Certificate(issued.cert).validTo);
  log.info("issued the collector's server certificate", {
    reason: why,
    names: options.names,
    notAfter: notAfter.toISOString(),
  });
  return { ca, server: issued, serverNotAfter: notAfter };
}
