/**
 * The collector's layers (docs/ARCHITECTURE.md, "Parts"): the store imports
 * nothing of the domain above it, and the wire protocol's types end at the
 * gateway: the drift domain, the jobs and the store never import @imagedrift/protocol.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL(".", import.meta.url).pathname;

function importsOf(folder: string): { file: string; from: string }[] {
  return readdirSync(join(SRC, folder))
    .filter((name) => name.endsWith(".ts"))
    .flatMap((name) => {
      const text = readFileSync(join(SRC, folder, name), "utf8");
      return [...text.matchAll(/^(?:import|export)[^;]*? from "([^"]+)";/gms)].map((m) => ({
        file: `${folder}/${name}`,
        from: m[1] ?? "",
      }));
    });
}

describe("the collector's layers", () => {
  it("the store imports only from itself, core and its libraries", () => {
    const outside = importsOf("store").filter(({ from }) => from.startsWith("../"));
    expect(outside).toEqual([]);
  });

  it("the drift domain, the jobs and the store never see the wire protocol's types", () => {
    const wire = [...importsOf("drift"), ...importsOf("jobs"), ...importsOf("store")].filter(
      ({ from }) => from === "@imagedrift/protocol",
    );
    expect(wire).toEqual([]);
  });
});
