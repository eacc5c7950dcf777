/**
 * main.ts wires the collector in the order a reader follows: nothing, not even
 * a callback, names a variable declared further down (the callbacks that need
 * a later object are handed over when starting: gateway.listen, kubernetes.start).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

function usesBeforeDeclaration(file: string): string[] {
  const program = ts.createProgram([file], { noResolve: true, allowJs: false, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (source === undefined) throw new Error(`cannot read ${file}`);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const declaration = checker.getSymbolAtLocation(node)?.valueDeclaration;
      if (
        declaration !== undefined &&
        ts.isVariableDeclaration(declaration) &&
        declaration.getSourceFile() === source &&
        declaration.name !== node &&
        declaration.getStart() > node.getStart()
      ) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${node.text} (line ${line + 1})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("main.ts", () => {
  it("names no variable before its declaration, in callbacks either", () => {
    expect(usesBeforeDeclaration(fileURLToPath(new URL("./main.ts", import.meta.url)))).toEqual([]);
  });

  it("names each default in --help from COLLECTOR_DEFAULTS, the values the config parses, never a copy", () => {
    // The flags live in collector-program.ts; main.ts runs them.
    const text = readFileSync(new URL("./collector-program.ts", import.meta.url), "utf8");
    const defaults = [...text.matchAll(/\(default ([^)]*)\)/g)].map((m) => m[1] ?? "");
    expect(defaults.length).toBeGreaterThan(5);
    expect(defaults.filter((d) => !/^\$\{COLLECTOR_DEFAULTS\.\w+\}$/.test(d))).toEqual([]);
  });
});
