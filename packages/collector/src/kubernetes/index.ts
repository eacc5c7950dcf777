/** The Kubernetes API as a source of facts (docs/ARCHITECTURE.md#the-collector `--kubernetes`, #findings pull-policy-risk and mixed-replicas). */
export {
  type KubernetesEnvironment,
  type KubernetesMode,
  kubeConfigProblem,
  kubernetesEnabled,
} from "./kube-config.js";
export {
  DEFAULT_KUBERNETES_BACKOFF,
  type KubernetesEvents,
  KubernetesWatcher,
  type KubernetesWatcherOptions,
  type NodePresence,
} from "./kubernetes-watcher.js";
export { apiOwnerReader, type OwnerReader } from "./owner-resolver.js";
