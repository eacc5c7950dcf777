/**
 * A CA and a server certificate it signs, made with the `openssl` CLI for
 * TLS servers the lab starts on 127.0.0.1 (a registry over HTTPS, the
 * harness's API server): `ca.crt`, `ca.key`, `server.crt` and `server.key`
 * in `dir`, valid for a day.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exec } from "./exec.js";

export interface ServerCertificateOptions {
  /** The CA's common name. */
  caName: string;
  /** The server certificate's common name. */
  commonName: string;
  /** Its subjectAltName entries, as openssl writes them: `IP:127.0.0.1`, `DNS:name`. */
  altNames: readonly string[];
}

/** Makes the files in `dir`; returns the CA's PEM. */
export async function makeServerCertificate(dir: string, options: ServerCertificateOptions): Promise<string> {
  const file = (name: string) => join(dir, name);
  await exec("openssl", [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${options.caName}`],
    ...["-keyout", file("ca.key"), "-out", file("ca.crt")],
  ]);
  await exec("openssl", [
    ...["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${options.commonName}`],
    ...["-keyout", file("server.key"), "-out", file("server.csr")],
  ]);
  await writeFile(file("san.ext"), `subjectAltName=${options.altNames.join(",")}\nextendedKeyUsage=serverAuth\n`);
  await exec("openssl", [
    ...["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key")],
    ...["-CAcreateserial", "-days", "1", "-extfile", file("san.ext"), "-out", file("server.crt")],
  ]);
  return readFile(file("ca.crt"), "utf8");
}
