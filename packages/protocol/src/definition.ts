import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const protoPath = fileURLToPath(new URL("../../../proto/imagedrift/v1/agent.proto", import.meta.url));

/** An inventory of thousands of images is several MiB: far past grpc's 4 MiB default. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export const channelOptions: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  // Nothing serves channelz (grpc's introspection service): its per-connection and per-message bookkeeping would go unread.
  "grpc.enable_channelz": 0,
};

let loaded: grpc.ServiceClientConstructor | undefined;

/** The AgentGateway service: its client constructor, and `.service` for servers. */
export function agentGateway(): grpc.ServiceClientConstructor {
  if (!loaded) {
    const definition = protoLoader.loadSync(protoPath, {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const v1 = (grpc.loadPackageDefinition(definition).imagedrift as grpc.GrpcObject).v1 as grpc.GrpcObject;
    loaded = v1.AgentGateway as grpc.ServiceClientConstructor;
  }
  return loaded;
}
