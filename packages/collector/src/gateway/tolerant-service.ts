import type * as grpc from "@grpc/grpc-js";
import { toImagedriftError } from "@imagedrift/core";
import { type AgentMessage, AgentMessageDecoder, agentGateway, type CollectorMessage } from "@imagedrift/protocol";

/** What a stream delivers: a message, or bytes that are no AgentMessage (see `tolerantService`). */
export type Received = AgentMessage | { body: "undecodable"; reason: string };

/**
 * The service with the hand-written decoder (AgentMessageDecoder: strings and
 * images that every node sends alike are decoded once), which never throws
 * here: grpc-js answers bytes its decoder refuses with INTERNAL, as if the
 * collector had failed; the gateway answers them with INVALID_ARGUMENT,
 * naming the problem.
 */
export function tolerantService(): grpc.ServiceDefinition {
  const decoder = new AgentMessageDecoder();
  const connect = agentGateway().service.Connect as grpc.MethodDefinition<AgentMessage, CollectorMessage>;
  const requestDeserialize = (bytes: Buffer): Received => {
    try {
      return decoder.decode(bytes);
    } catch (thrown) {
      return { body: "undecodable", reason: toImagedriftError(thrown).message };
    }
  };
  return { Connect: { ...connect, requestDeserialize } };
}
