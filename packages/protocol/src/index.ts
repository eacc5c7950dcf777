export { AgentMessageDecoder, WireError } from "./agent-message-decoder.js";
export { agentGateway, channelOptions, MAX_MESSAGE_BYTES } from "./definition.js";
export { InventoryChecker } from "./inventory-check.js";
export { fromWireInventory, inventoryHash, toWireInventory } from "./inventory-wire.js";
export * from "./messages.js";
export { PLACEHOLDER_TOKEN, readTokenFile } from "./token-file.js";
