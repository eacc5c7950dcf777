import { describe, expect, it } from "vitest";
import { resolveSettings } from "./settings.js";

describe("resolveSettings", () => {
  it("uses the defaults", () => {
    const settings = resolveSettings({}, {});
    expect(settings).toEqual({
      server: new URL("http://127.0.0.1:8080"),
      token: null,
      output: "table",
      timeoutMs: 10_000,
    });
  });

  it("takes a flag over the environment", () => {
    const env = { IMAGEDRIFT_SERVER: "http://env:1", IMAGEDRIFT_TOKEN: "env-token" };
    expect(resolveSettings({}, env)).toMatchObject({ server: new URL("http://env:1"), token: "env-token" });
    expect(resolveSettings({ server: "https://flag", token: "flag-token" }, env)).toMatchObject({
      server: new URL("https://flag"),
      token: "flag-token",
    });
  });

  it("reads host:port as http and keeps a path prefix", () => {
    expect(resolveSettings({ server: "collector.imagedrift:8080" }, {}).server.href).toBe(
      "http://collector.imagedrift:8080/",
    );
    expect(resolveSettings({ server: "https://ops.example.com/imagedrift/" }, {}).server.pathname).toBe("/imagedrift/");
  });

  it("treats an empty token as none", () => {
    expect(resolveSettings({}, { IMAGEDRIFT_TOKEN: "  " }).token).toBeNull();
  });

  it("lists every bad option at once, never echoing credentials", () => {
    let message = "";
    try {
      resolveSettings({ server: "ftp://x", timeout: "soon", output: "xml" }, {});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/--server: "ftp:" is not supported/);
    expect(message).toMatch(/--timeout: invalid duration "soon"/);
    expect(message).toMatch(/--output: "xml" is not one of table, json, yaml/);
    expect(() => resolveSettings({ server: "http://u:secret@x" }, {})).toThrow(/must not contain credentials/);
    expect(() => resolveSettings({ server: "http://u:secret@x" }, {})).not.toThrow(/secret/);
    expect(() => resolveSettings({ timeout: "0" }, {})).toThrow(/--timeout: must be more than 0/);
  });
});
