export { CollectorClient, type CollectorClientOptions } from "./client.js";
export { type CliIo, run } from "./run.js";
export * from "./verify.js";
