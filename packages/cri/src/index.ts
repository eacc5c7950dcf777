export {
  type CallObserver,
  CriClient,
  type CriClientOptions,
  DEFAULT_TIMEOUT_MS,
  grpcTarget,
  MAX_RECEIVE_BYTES,
} from "./client.js";
export { pullFailureCode } from "./pull-failure.js";
export {
  eventFilter,
  type RuntimeEvent,
  RuntimeEvents,
  type RuntimeEventsOptions,
  type RuntimeEventsState,
} from "./runtime-events.js";
export { fromGrpcError, grpcStatusName } from "./status.js";
export type * from "./types.js";
