import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "./config.js";

describe("parseAgentConfig", () => {
  it("applies docs/ARCHITECTURE.md#the-agent defaults", () => {
    expect(parseAgentConfig({ nodeName: "n1" })).toEqual({
      criEndpoint: "unix:///run/containerd/containerd.sock",
      nodeName: "n1",
      listen: { host: "", port: 9101 },
      interval: 60_000,
      events: "auto",
      eventsInterval: 600_000,
      nodeLabels: {},
      logLevel: "info",
    });
  });

  it("takes --events auto|off and --events-interval, naming a bad value", () => {
    expect(parseAgentConfig({ nodeName: "n1", events: "off", eventsInterval: "30m" })).toMatchObject({
      events: "off",
      eventsInterval: 1_800_000,
    });
    expect(() => parseAgentConfig({ nodeName: "n1", events: "sometimes" })).toThrow(
      /--events: must be one of auto, off/,
    );
    expect(() => parseAgentConfig({ nodeName: "n1", eventsInterval: "10ms" })).toThrow(
      /--events-interval: "10ms" is too short/,
    );
  });

  it("accepts every flag", () => {
    const cfg = parseAgentConfig({
      criEndpoint: "unix:///run/k3s/containerd/containerd.sock",
      nodeName: "worker-1.example",
      collector: "imagedrift-collector.imagedrift:9100",
      listen: "127.0.0.1:0",
      interval: "1m30s",
      tokenFile: "/var/run/secrets/imagedrift/token",
    });
    expect(cfg).toMatchObject({
      listen: { host: "127.0.0.1", port: 0 },
      interval: 90_000,
      collector: "imagedrift-collector.imagedrift:9100",
    });
  });

  it("takes --sandbox-image as a normalised image reference and names a bad one", () => {
    expect(parseAgentConfig({ nodeName: "n1", sandboxImage: "pause:3.10" }).sandboxImage).toBe(
      "docker.io/library/pause:3.10",
    );
    expect(parseAgentConfig({ nodeName: "n1", sandboxImage: "registry.k8s.io/pause:3.10" }).sandboxImage).toBe(
      "registry.k8s.io/pause:3.10",
    );
    expect(() => parseAgentConfig({ nodeName: "n1", sandboxImage: "Pause:3.10" })).toThrow(
      /sandboxImage|sandbox-image/,
    );
  });

  it("lists every problem at once, each under its flag", () => {
    let message = "";
    try {
      parseAgentConfig({
        criEndpoint: "unix://relative.sock",
        nodeName: "Bad_Node",
        listen: "nine",
        interval: "soon",
        collector: "x",
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      '--cri-endpoint: CRI endpoint "unix://relative.sock": a unix socket path must be absolute',
    );
    expect(message).toContain("--node-name: must be a Kubernetes node name");
    expect(message).toContain('--listen: "nine" is not a listen address');
    expect(message).toMatch(/--interval: .*"soon"/);
    expect(message).toContain("--collector: must be host:port");
  });

  it("names each bad label, and refuses an unknown log level or an overlong node name", () => {
    const problems = (options: Parameters<typeof parseAgentConfig>[0]) => {
      try {
        parseAgentConfig(options);
      } catch (error) {
        return (error as Error).message.split("\n").slice(1);
      }
      return [];
    };
    expect(problems({ nodeName: "n1", nodeLabels: "zone=a,,bad, x=y=z ,tier=" })).toEqual([
      '  --node-labels: "bad" is not a label (expected key=value)',
      '  --node-labels: " x=y=z " is not a label (expected key=value)',
    ]);
    expect(parseAgentConfig({ nodeName: "n1", nodeLabels: "zone=a, tier=" }).nodeLabels).toEqual({
      zone: "a",
      tier: "",
    });
    expect(problems({ nodeName: "n1", logLevel: "trace" })).toEqual([
      "  --log-level: must be one of debug, info, warn, error",
    ]);
    expect(problems({ nodeName: "a".repeat(254) })).toEqual([
      "  --node-name: must be a Kubernetes node name (at most 253 characters)",
    ]);
    expect(problems({})).toEqual(["  --node-name: no node name: set --node-name, IMAGEDRIFT_NODE_NAME or NODE_NAME"]);
    expect(problems({ nodeName: "n1", interval: "500ms" })).toEqual([
      '  --interval: "500ms" is too short (at least 1s)',
    ]);
  });

  it("wants --tls-cert with --tls-key, over --tls-ca", () => {
    expect(() => parseAgentConfig({ nodeName: "n1", tlsKey: "/k" })).toThrow(
      /--tls-cert: --tls-cert and --tls-key go together/,
    );
    expect(() => parseAgentConfig({ nodeName: "n1", tlsCert: "/c", tlsKey: "/k" })).toThrow(
      /--tls-cert: a client certificate needs --tls-ca/,
    );
    expect(parseAgentConfig({ nodeName: "n1", tlsCert: "/c", tlsKey: "/k", tlsCa: "/ca" })).toMatchObject({
      tlsCa: "/ca",
      tlsCert: "/c",
      tlsKey: "/k",
    });
  });

  it("keeps only its own options (a subcommand's are not config)", () => {
    const options = { nodeName: "n1", timeout: "10m", dryRun: true } as Parameters<typeof parseAgentConfig>[0];
    expect(Object.keys(parseAgentConfig(options))).not.toContain("timeout");
  });
});
