export * from "./errors.js";
export * from "./image-ref.js";
export * from "./inventory.js";
export * from "./duration.js";
export * from "./log.js";
export * from "./config.js";
export * from "./drift-types.js";
