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
export { type PodPullSecrets, podPullSecrets } from "./pod-projection.js";
export {
  apiPullSecretReader,
  DEFAULT_PULL_SECRET_TTL_MS,
  PullSecretCredentials,
  type PullSecretCredentialsOptions,
  type PullSecretReader,
} from "./pull-secrets.js";
