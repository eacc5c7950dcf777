/**
 * The overlays: deploy/overlays/k3s, and the one deploy/README.md tells an
 * operator to write (images, token from an uncommitted file), both rendered by
 * the real kubectl against the base.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

  /** Each runtime's preset: the socket as its project documents it (deploy/README.md has the sources). */
  const PRESETS: Record<string, string> = {
    containerd: "/run/containerd/containerd.sock",
    k3s: K3S_SOCKET,
    rke2: K3S_SOCKET,
    microk8s: "/var/snap/microk8s/common/run/containerd.sock",
    k0s: "/run/k0s/containerd.sock",
    "cri-o": "/run/crio/crio.sock",
    talos: "/run/containerd/containerd.sock",
    bottlerocket: "/run/containerd/containerd.sock",
  };

  it.each(Object.entries(PRESETS))(
    "deploy/overlays/%s mounts the directory of %s read-only where --cri-endpoint names it, and nothing else differs",
    async (name, socket) => {
      const rendered = await kustomize(`deploy/overlays/${name}`);
      const ds = find<Workload>(rendered, "DaemonSet", "imagedrift-agent");
      const container = onlyContainer(ds);
      const dir = socket.slice(0, socket.lastIndexOf("/"));
      expect(ds.spec.template.spec.volumes?.find((v) => v.name === "cri-socket")?.hostPath).toEqual({
        path: dir,
        type: "Directory",
      });
      expect(container.volumeMounts?.find((m) => m.name === "cri-socket")).toMatchObject({
        mountPath: dir,
        readOnly: true,
      });
      expect(agentConfigOf(container).criEndpoint).toBe(`unix://${socket}`);
      expect(ds.spec.template.spec.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
      const back = JSON.parse(
        JSON.stringify(rendered)
          .replaceAll(`unix://${socket}`, `unix://${SOCKET}`)
          .replaceAll(`"${dir}"`, '"/run/containerd"'),
      ) as K8sObject[];
      expect(back).toEqual(base);
    },
  );

  it("has a preset for every overlay directory and every preset in deploy/README.md's table", () => {
    const dirs = readdirSync(join(REPO, "deploy/overlays")).sort();
    expect(dirs).toEqual(Object.keys(PRESETS).sort());
    const readme = readFileSync(join(REPO, "deploy/README.md"), "utf8");
    for (const [name, socket] of Object.entries(PRESETS)) {
      expect(readme).toContain(`| \`overlays/${name}\` | \`${socket}\` |`);
    }
  });

  describe("deploy/overlays/k3s", () => {
    it("differs from the base only in the socket path: hostPath, mount and --cri-endpoint", async () => {
      const k3s = await kustomize("deploy/overlays/k3s");
      const ds = find<Workload>(k3s, "DaemonSet", "imagedrift-agent");
      const container = onlyContainer(ds);
      expect(ds.spec.template.spec.volumes?.find((v) => v.name === "cri-socket")?.hostPath?.path).toBe(
        "/run/k3s/containerd",
      );
      expect(container.volumeMounts?.find((m) => m.name === "cri-socket")?.mountPath).toBe("/run/k3s/containerd");
      expect(agentConfigOf(container).criEndpoint).toBe(`unix://${K3S_SOCKET}`);
      const back = JSON.parse(
        JSON.stringify(k3s).replaceAll(K3S_SOCKET, SOCKET).replaceAll('"/run/k3s/containerd"', '"/run/containerd"'),
      ) as K8sObject[];
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
