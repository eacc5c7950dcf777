import { describe, expect, it } from "vitest";
import { parseCollectorConfig } from "./config.js";

describe("parseCollectorConfig: hardening flags", () => {
  it("--rate-limit: 50 per second, burst 100 by default; N, N:BURST or off", () => {
    expect(parseCollectorConfig({}).rateLimit).toEqual({ perSecond: 50, burst: 100 });
    expect(parseCollectorConfig({ rateLimit: "10" }).rateLimit).toEqual({ perSecond: 10, burst: 20 });
    expect(parseCollectorConfig({ rateLimit: "0.5:3" }).rateLimit).toEqual({ perSecond: 0.5, burst: 3 });
    expect(parseCollectorConfig({ rateLimit: "off" }).rateLimit).toBeNull();
    expect(parseCollectorConfig({ rateLimit: "0" }).rateLimit).toBeNull();
    for (const bad of ["fast", "-1", "10:0", "10/s", "1:2:3"]) {
      expect(() => parseCollectorConfig({ rateLimit: bad }), bad).toThrow(
        `--rate-limit: "${bad}" is not a rate limit: requests per second per client, e.g. 50, 50:100 (with a burst) or off`,
      );
    }
  });

  it("--inventory-concurrency: 32 by default; a whole number from 1 to 10000", () => {
    expect(parseCollectorConfig({}).inventoryConcurrency).toBe(32);
    expect(parseCollectorConfig({ inventoryConcurrency: "200" }).inventoryConcurrency).toBe(200);
    for (const bad of ["0", "-3", "2.5", "many", "10001"]) {
      expect(() => parseCollectorConfig({ inventoryConcurrency: bad }), bad).toThrow(
        `--inventory-concurrency: "${bad}" is not a whole number from 1 to 10000`,
      );
    }
  });

  it("--read-token-file needs --token-file; --tls-client-ca needs --tls-cert", () => {
    expect(() => parseCollectorConfig({ readTokenFile: "/r" })).toThrow(
      "--read-token-file: needs --token-file (the token that can change things)",
    );
    expect(parseCollectorConfig({ readTokenFile: "/r", tokenFile: "/t" }).readTokenFile).toBe("/r");
    expect(() => parseCollectorConfig({ tlsClientCa: "/ca.pem" })).toThrow(
      "--tls-client-ca: needs --tls-cert and --tls-key or --tls-self-signed (mutual TLS is TLS first)",
    );
    const mtls = parseCollectorConfig({ tlsClientCa: "/ca.pem", tlsCert: "/c.pem", tlsKey: "/k.pem" });
    expect(mtls.tlsClientCa).toBe("/ca.pem");
    expect(parseCollectorConfig({ tlsClientCa: "/ca.pem", tlsSelfSigned: true }).tlsClientCa).toBe("/ca.pem");
  });

  it("--tls-self-signed: off by default; its files beside --db unless --tls-dir; not with --tls-cert", () => {
    expect(parseCollectorConfig({})).toMatchObject({
      tlsSelfSigned: false,
      tlsDir: "tls",
      tlsService: "imagedrift-collector",
      tlsNames: [],
    });
    const on = parseCollectorConfig({ tlsSelfSigned: true, db: "/var/lib/imagedrift/imagedrift.db" });
    expect(on).toMatchObject({ tlsSelfSigned: true, tlsDir: "/var/lib/imagedrift/tls" });
    expect(parseCollectorConfig({ tlsSelfSigned: true, tlsDir: "/certs" }).tlsDir).toBe("/certs");
    expect(() => parseCollectorConfig({ tlsSelfSigned: true, tlsCert: "/c.pem", tlsKey: "/k.pem" })).toThrow(
      "--tls-self-signed: choose one: --tls-self-signed makes the certificate, --tls-cert/--tls-key bring one",
    );
  });

  it("--tls-names: DNS names and IP addresses, comma-separated; --tls-service: a Service name", () => {
    expect(parseCollectorConfig({ tlsNames: "Collector.Example.org, 10.0.0.7,::1" }).tlsNames).toEqual([
      "collector.example.org",
      "10.0.0.7",
      "::1",
    ]);
    expect(() => parseCollectorConfig({ tlsNames: "ok.example.org,bad_name" })).toThrow(
      '--tls-names: "bad_name" is neither a DNS name nor an IP address',
    );
    expect(() => parseCollectorConfig({ tlsService: "Collector" })).toThrow(/--tls-service: a Service name/);
  });
});

describe("parseCollectorConfig: --kubernetes-pull-secrets", () => {
  it("is off by default, and needs the Kubernetes API", () => {
    expect(parseCollectorConfig({}).kubernetesPullSecrets).toBe(false);
    expect(parseCollectorConfig({ kubernetesPullSecrets: true }).kubernetesPullSecrets).toBe(true);
    expect(parseCollectorConfig({ kubernetesPullSecrets: true, kubernetes: "on" }).kubernetesPullSecrets).toBe(true);
    expect(() => parseCollectorConfig({ kubernetesPullSecrets: true, kubernetes: "off" })).toThrow(
      "--kubernetes-pull-secrets: needs the Kubernetes API (--kubernetes on or auto), which --kubernetes off turns off",
    );
  });
});
