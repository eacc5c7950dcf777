import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

/**
 * patches/@grpc+grpc-js+*.patch: grpc-js's message decoder kept slices of the
 * last message's chunks until the next message, so every idle agent stream
 * held its inventory's socket buffers (about 80 KiB per agent, 400 MiB at
 * 5,000 agents). This fails when the patch is not applied (npm ci runs it).
 */
const { StreamDecoder } = createRequire(import.meta.url)("@grpc/grpc-js/build/src/stream-decoder.js") as {
  StreamDecoder: new (
    max: number,
  ) => { write(data: Buffer): Buffer[]; readPartialMessage: Buffer[]; readCompressFlag: Buffer };
};

describe("grpc-js StreamDecoder (patched)", () => {
  it("lets go of a message's chunks once the message is complete", () => {
    const payload = Buffer.alloc(70_000, 7);
    const framed = Buffer.concat([Buffer.from([0, 0, 1, 0x11, 0x70]), payload]);
    // As the socket delivers it: in chunks, each a slice of a larger read buffer.
    const reads = [framed.subarray(0, 30_000), framed.subarray(30_000)].map((chunk) => {
      const buffer = Buffer.alloc(65_536 + chunk.length);
      chunk.copy(buffer, 100);
      return buffer.subarray(100, 100 + chunk.length);
    });
    const decoder = new StreamDecoder(-1);
    const messages = reads.flatMap((read) => decoder.write(read));
    expect(messages).toHaveLength(1);
    expect(messages[0]?.subarray(5).equals(payload)).toBe(true);
    expect(decoder.readPartialMessage).toEqual([]);
    for (const read of reads) expect(decoder.readCompressFlag.buffer).not.toBe(read.buffer);
  });
});
