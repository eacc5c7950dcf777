export { type CollectorConfig, parseCollectorConfig } from "./config.js";
export { DriftService, type TagResolverLike } from "./drift/index.js";
export { AgentGateway, type AgentHandlers, type AgentSession } from "./gateway/agent-gateway.js";
export { createHttpServer } from "./http/server.js";
export * from "./jobs/index.js";
export { CollectorMetrics } from "./metrics.js";
export * from "./store/index.js";
