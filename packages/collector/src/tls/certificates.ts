/**
 * Makes the certificates of the collector's self-signed TLS mode
 * (docs/ARCHITECTURE.md#agent-collector-tls): an ECDSA P-256 CA, and a server
 * certificate signed by it for the names agents dial. @peculiar/x509 builds
 * them on Node's webcrypto (node:crypto reads certificates but cannot make
 * them). cert-store.ts imports this module only when it has something to make.
 */
// tsyringe, which @peculiar/x509 is built on, needs the Reflect metadata API before it loads.
import "reflect-metadata";
import { createPrivateKey, randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import * as x509 from "@peculiar/x509";

// Node's webcrypto is the standard Crypto; its types come from @types/node rather than the DOM library.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
/** Certificates start an hour back: a node whose clock is a little behind still accepts a fresh one. */
const BACKDATE_MS = 3_600_000;

/** A certificate and its private key, PEM (the key PKCS#8). */
export interface Issued {
  cert: string;
  key: string;
}

export interface Validity {
  now: Date;
  days: number;
}

/** A positive 127-bit serial number: unique without a counter to keep. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  return `${x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY")}\n`;
}

function period(validity: Validity): { notBefore: Date; notAfter: Date } {
  const start = validity.now.getTime();
  return { notBefore: new Date(start - BACKDATE_MS), notAfter: new Date(start + validity.days * DAY_MS) };
}

/** A CA that signs server certificates only (path length 0). */
export async function makeCa(validity: Validity): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: "CN=imagedrift collector CA",
    ...period(validity),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: `${cert.toString("pem")}\n`, key: await keyPem(keys.privateKey) };
}

/** A server certificate signed by `ca`, for `names` (DNS names and IP addresses). */
export async function makeServerCertificate(options: {
  ca: Issued;
  names: readonly string[];
  validity: Validity;
}): Promise<Issued> {
  const caCert = new x509.X509Certificate(options.ca.cert);
  const caDer = createPrivateKey(options.ca.key).export({ format: "der", type: "pkcs8" });
  const caKey = await webcrypto.subtle.importKey("pkcs8", caDer, ALGORITHM, false, ["sign"]);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${options.names[0] ?? "imagedrift-collector"}`,
    issuer: caCert.subject,
    ...period(options.validity),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        options.names.map((value) => ({ type: isIP(value) ? "ip" : "dns", value })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: `${cert.toString("pem")}\n`, key: await keyPem(keys.privateKey) };
}
