import { describe, expect, it } from "vitest";
import type { LiveIo } from "./commands/command.js";
import { createStyle } from "./format/style.js";
import { job, pulledNode, runningNode } from "./job-fixtures.fake.js";
import { createJobProgress } from "./job-progress.js";

/** A 40-column terminal that keeps what is written. */
function terminal() {
  let written = "";
  const stream = {
    isTTY: true,
    columns: 40,
    rows: 24,
    write: (text: string) => {
      written += text;
      return true;
    },
    // cli-progress moves the cursor with these (Node's tty.WriteStream has them).
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    on: () => stream,
    removeListener: () => stream,
  };
  return { stream, written: () => written };
}

describe("the live bar", () => {
  it("writes a finished node's line in full, however wide, and never turns the terminal's line wrapping off", () => {
    const tty = terminal();
    const live: LiveIo = {
      progress: tty.stream,
      progressStyle: createStyle(false),
      bar: true,
      onInterrupt: () => () => {},
      pollIntervalMs: 5,
      confirm: null,
    };
    const progress = createJobProgress(live);
    const ref = "127.0.0.1:39787/shop/api:stable";
    progress.update(job("running", [runningNode("worker-1", `pulling ${ref}`), runningNode("worker-2", "pulling")]));
    progress.update(job("succeeded", [pulledNode("worker-1", ref), pulledNode("worker-2", ref)]));
    progress.stop();
    const out = tty.written();
    expect(out).toContain(`worker-1 succeeded: pulled ${ref} sha256:aaaaaaaaaaaa (verified)\n`);
    // DECAWM off (ESC [?7l) makes the terminal cut every longer line at its width.
    expect(out).not.toContain("\u001b[?7l");
  });
});
