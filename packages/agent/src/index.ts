export { type AgentConfig, type AgentOptions, DEFAULT_CRI_ENDPOINT, parseAgentConfig } from "./config.js";
export { assembleInventory, type RuntimeSnapshot } from "./inventory.js";
export { AgentMetrics } from "./metrics.js";
export { ScanLoop } from "./scan-loop.js";
export { readRuntime, scanNode } from "./scanner.js";
