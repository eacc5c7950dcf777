import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { kubeConfigProblem, kubernetesEnabled } from "./kube-config.js";

describe("kubernetesEnabled (docs/ARCHITECTURE.md#the-collector --kubernetes)", () => {
  it.each([
    ["on", {}, true],
    ["off", { serviceHost: "10.0.0.1", kubeconfig: "/k" }, false],
    ["auto", {}, false],
    ["auto", { serviceHost: "", kubeconfig: "" }, false],
    ["auto", { serviceHost: "10.0.0.1" }, true],
    ["auto", { kubeconfig: "/home/me/.kube/config" }, true],
  ] as const)("%s with %j → %s", (mode, env, want) => {
    expect(kubernetesEnabled(mode, env)).toBe(want);
  });
});

function config(cluster: Record<string, unknown>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", skipTLSVerify: false, ...cluster }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

describe("kubeConfigProblem", () => {
  it("accepts https, and plain http with insecure-skip-tls-verify", () => {
    expect(kubeConfigProblem(config({ server: "https://10.0.0.1:6443" }))).toBeNull();
    expect(kubeConfigProblem(config({ server: "http://127.0.0.1:8001", skipTLSVerify: true }))).toBeNull();
  });

  it("names the fix for plain http, and the missing kubeconfig behind the library's localhost:8080 fallback", () => {
    expect(kubeConfigProblem(config({ server: "http://127.0.0.1:8001" }))).toContain("insecure-skip-tls-verify: true");
    expect(kubeConfigProblem(config({ server: "http://localhost:8080" }))).toContain("no kubeconfig");
  });

  it("refuses a context without cluster", () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [],
      users: [],
      contexts: [{ name: "x", cluster: "none", user: "u" }],
      currentContext: "x",
    });
    expect(kubeConfigProblem(kc)).toContain("names no cluster");
  });
});
