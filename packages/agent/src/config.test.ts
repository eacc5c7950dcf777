import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "./config.js";

describe("parseAgentConfig", () => {
  it("applies SPEC §4 defaults", () => {
    expect(parseAgentConfig({ nodeName: "n1" })).toEqual({
      criEndpoint: "unix:///run/containerd/containerd.sock",
      nodeName: "n1",
      listen: { host: "", port: 9101 },
      interval: 60_000,
      nodeLabels: {},
      logLevel: "info",
    });
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
});
