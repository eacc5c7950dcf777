/**
 * Whether the collector uses the Kubernetes API (docs/ARCHITECTURE.md#the-collector `--kubernetes
 * auto|on|off`), and whether the kubeconfig it loaded can work. main.ts reads
 * the environment and builds the KubeConfig; these functions only judge.
 */
import type { KubeConfig } from "@kubernetes/client-node";

export type KubernetesMode = "auto" | "on" | "off";

/** What `auto` looks at, as main.ts reads it from the environment. */
export interface KubernetesEnvironment {
  /** `KUBERNETES_SERVICE_HOST`: set by the kubelet in every pod. */
  serviceHost?: string | undefined;
  /** `KUBECONFIG`. */
  kubeconfig?: string | undefined;
}

/** `on`; `off`; `auto`: on in a cluster (KUBERNETES_SERVICE_HOST) or when KUBECONFIG is set. */
export function kubernetesEnabled(mode: KubernetesMode, env: KubernetesEnvironment): boolean {
  if (mode !== "auto") return mode === "on";
  return Boolean(env.serviceHost) || Boolean(env.kubeconfig);
}

/**
 * Why the loaded kubeconfig cannot work, or null. KubeConfig.loadFromDefault
 * falls back to `http://localhost:8080` when it finds no kubeconfig and no
 * service account; the client refuses a plain-http server unless the cluster
 * says `insecure-skip-tls-verify: true`.
 */
export function kubeConfigProblem(kubeConfig: KubeConfig): string | null {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    return `the kubeconfig's current context ${JSON.stringify(kubeConfig.getCurrentContext())} names no cluster`;
  }
  if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify) {
    const hint =
      cluster.server === "http://localhost:8080"
        ? "no kubeconfig (KUBECONFIG, ~/.kube/config) and no in-cluster service account token was found"
        : "set insecure-skip-tls-verify: true on the cluster to use plain HTTP";
    return `cluster ${JSON.stringify(cluster.name)} has a plain-http server ${cluster.server}: ${hint}`;
  }
  return null;
}
