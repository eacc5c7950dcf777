/**
 * The self-signed mode's credentials on a real grpc-js server on 127.0.0.1:
 * the handshake serves the certificate for the Service's names, a renewal
 * reaches the next handshake without a restart, and a client that trusts
 * another CA is refused.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "@imagedrift/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadOrCreateTls, TLS_LIFETIMES } from "./cert-store.js";
import { type SelfSignedTls, startSelfSignedTls } from "./self-signed-tls.js";

const NAMES = ["imagedrift-collector", "imagedrift-collector.imagedrift.svc"];
const DAY_MS = 86_400_000;

let dir: string;
let server: grpc.Server;
let tls: SelfSignedTls;
let port: number;
let now: Date;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "idl-self-signed-"));
  // Started 61 days back: the certificate serves today and is due for renewal (under 30 days left).
  now = new Date(Date.now() - (TLS_LIFETIMES.serverDays - TLS_LIFETIMES.renewServerWithinDays + 1) * DAY_MS);
  tls = await startSelfSignedTls({
    dir: join(dir, "tls"),
    names: NAMES,
    clientCa: null,
    log: silentLogger,
    now: () => now,
  });
  server = new grpc.Server();
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", tls.credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
});

afterEach(async () => {
  tls.stop();
  server.forceShutdown();
  await rm(dir, { recursive: true, force: true });
});

/** The certificate the server presents to a client trusting `ca` and asking for `servername`. */
function handshake(ca: string, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca, servername, ALPNProtocols: ["h2"] }, () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
    socket.once("error", reject);
  });
}

describe("startSelfSignedTls", () => {
  it("serves a certificate for the Service's cluster name that the CA verifies", async () => {
    const peer = await handshake(tls.current().ca.cert, "imagedrift-collector.imagedrift.svc");
    expect(peer.subjectaltname).toContain("DNS:imagedrift-collector.imagedrift.svc");
    await expect(handshake(tls.current().ca.cert, "elsewhere.example.org")).rejects.toThrow(/altnames/);
  });

  it("serves a renewed certificate on the next handshake, with no restart and the same CA", async () => {
    const ca = tls.current().ca.cert;
    const before = await handshake(ca, NAMES[0] ?? "");
    now = new Date();
    await tls.refresh();
    expect(tls.current().ca.cert).toBe(ca);
    const after = await handshake(ca, NAMES[0] ?? "");
    expect(after.serialNumber).not.toBe(before.serialNumber);
  });

  it("refuses a client that trusts another CA", async () => {
    const other = await loadOrCreateTls({ dir: join(dir, "other"), names: NAMES, log: silentLogger });
    await expect(handshake(other.ca.cert, NAMES[0] ?? "")).rejects.toThrow(/self.signed|unable to verify|signature/i);
  });
});
