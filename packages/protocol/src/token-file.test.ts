import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PLACEHOLDER_TOKEN, readTokenFile } from "./token-file.js";

describe("readTokenFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagedrift-token-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("returns the token without surrounding whitespace", () => {
    expect(readTokenFile(file("ok", "  0123abcd\n"))).toBe("0123abcd");
  });

  it("refuses an empty file and a missing one, naming the file and the flag", () => {
    expect(() => readTokenFile(file("empty", " \n"))).toThrow(/--token-file: .*empty is empty/);
    expect(() => readTokenFile(join(dir, "nope"), "--read-token-file")).toThrow(
      /--read-token-file: cannot read .*nope: ENOENT/,
    );
  });

  it.each([
    ["the placeholder deploy/ ships", PLACEHOLDER_TOKEN],
    ["the placeholder with a newline (kubectl create secret --from-file)", `${PLACEHOLDER_TOKEN}\n`],
    ["another replace-me placeholder", "REPLACE-ME"],
  ])("refuses %s and says how to make a token", (_, text) => {
    let message = "";
    try {
      readTokenFile(file("placeholder", text), "--read-token-file");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("--read-token-file");
    expect(message).toContain("placeholder");
    expect(message).toContain("openssl rand -hex 32");
  });
});
