export type { AgentHello, KubernetesFacts, TagResolverLike, TagSummary } from "./drift-inputs.js";
export { DriftService, type DriftServiceOptions } from "./drift-service.js";
