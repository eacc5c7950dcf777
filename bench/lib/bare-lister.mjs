/**
 * The agent daemon's memory peer: the least a Node process can be while it
 * lists a node's images over CRI every interval. grpc-js and proto-loader over
 * the same CRI proto, one ListImages per interval, nothing kept.
 *
 * Usage: node bench/lib/bare-lister.mjs unix:///path/c.sock INTERVAL_MS
 * Prints one line per round: {"round":N,"images":M}.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const [endpoint, intervalMs] = [process.argv[2], Number(process.argv[3])];
const proto = fileURLToPath(new URL("../../proto/runtime/v1/api.proto", import.meta.url));
const definition = protoLoader.loadSync(proto, {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const ImageService = grpc.loadPackageDefinition(definition).runtime.v1.ImageService;
const client = new ImageService(endpoint, grpc.credentials.createInsecure(), {
  "grpc.max_receive_message_length": 64 * 1024 * 1024,
});

let round = 0;
const list = () =>
  client.ListImages({}, (error, response) => {
    if (error) {
      process.stderr.write(`${error.message}\n`);
    } else {
      round++;
      process.stdout.write(`${JSON.stringify({ round, images: response.images.length })}\n`);
    }
    setTimeout(list, intervalMs);
  });
list();
process.once("SIGTERM", () => process.exit(0));
