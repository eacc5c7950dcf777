export { type CliIo, run } from "./run.js";
export { CollectorClient, type CollectorClientOptions } from "./client.js";
export * from "./verify.js";
export type * from "./api-types.js";
