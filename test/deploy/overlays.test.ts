/**
 * The overlays: deploy/overlays/k3s, and the one deploy/README.md tells an
 * operator to write (images, token from an uncommitted file), both rendered by
 * the real kubectl against the base.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { find, type K8sObject, kustomize, onlyContainer, REPO, type Workload } from "./manifests.js";
import { agentConfigOf } from "./program-config.js";

const SOCKET = "/run/containerd/containerd.sock";
const K3S_SOCKET = "/run/k3s/containerd/containerd.sock";

describe("overlays", () => {
  let base: K8sObject[];
  beforeAll(async () => {
    base = await kustomize("deploy");
  });

  describe("deploy/overlays/k3s", () => {
    it("differs from the base only in the socket path: hostPath, mount and --cri-endpoint", async () => {
      const k3s = await kustomize("deploy/overlays/k3s");
      const ds = find<Workload>(k3s, "DaemonSet", "imagedrift-agent");
      const container = onlyContainer(ds);
      expect(ds.spec.template.spec.volumes?.find((v) => v.name === "cri-socket")?.hostPath?.path).toBe(K3S_SOCKET);
      expect(container.volumeMounts?.find((m) => m.name === "cri-socket")?.mountPath).toBe(K3S_SOCKET);
      expect(agentConfigOf(container).criEndpoint).toBe(`unix://${K3S_SOCKET}`);
      const back = JSON.parse(JSON.stringify(k3s).replaceAll(K3S_SOCKET, SOCKET)) as K8sObject[];
      expect(back).toEqual(base);
    });
  });

  describe("the overlay deploy/README.md shows", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "imagedrift-overlay-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("names the images, replaces the placeholder token keeping the Secret's name, and adds monitoring", async () => {
      const readme = readFileSync(join(REPO, "deploy/README.md"), "utf8");
      const overlay = /```yaml\n\s*# my-cluster\/kustomization\.yaml\n([\s\S]*?)```/.exec(readme)?.[1];
      expect(overlay, "the README's my-cluster/kustomization.yaml").toBeDefined();
      const text = (overlay ?? "")
        .replace(/^ {3}/gm, "")
        .replaceAll(/\.\.\/deploy(?=[\s/])/g, relative(dir, join(REPO, "deploy")));
      writeFileSync(join(dir, "kustomization.yaml"), text);
      writeFileSync(join(dir, "token"), "0123abcd");
      const rendered = await kustomize(dir);
      const secret = find<K8sObject & { data?: Record<string, string>; stringData?: unknown }>(
        rendered,
        "Secret",
        "imagedrift-token",
      );
      expect(secret.data).toEqual({ token: Buffer.from("0123abcd").toString("base64") });
      expect(secret.stringData).toBeUndefined();
      expect(onlyContainer(find<Workload>(rendered, "DaemonSet", "imagedrift-agent")).image).toBe(
        "registry.example.com/imagedrift-agent:0.1.0",
      );
      expect(onlyContainer(find<Workload>(rendered, "StatefulSet", "imagedrift-collector")).image).toBe(
        "registry.example.com/imagedrift-collector:0.1.0",
      );
      // The README's overlay takes the Prometheus Operator component; the base alone has none of its kinds.
      expect(rendered.filter((o) => o.apiVersion === "monitoring.coreos.com/v1").map((o) => o.kind)).toEqual(
        expect.arrayContaining(["ServiceMonitor", "PrometheusRule"]),
      );
      expect(base.filter((o) => o.apiVersion === "monitoring.coreos.com/v1")).toEqual([]);
    });
  });
});
