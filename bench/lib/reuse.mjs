/**
 * Two lab helpers the bench reuses live in test files that the test package's
 * build leaves out (test/agent/many-images.ts, test/registry/counting-proxy.ts).
 * Rather than copy them, they are transpiled here (types stripped, nothing
 * else) into bench/.build/, next to a link to the built lab (test/dist/lab),
 * so that their own relative imports (`../lab/index.js`) resolve unchanged.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const out = join(root, "bench/.build");
const SOURCES = ["agent/many-images.ts", "registry/counting-proxy.ts"];

let ready = false;

function build() {
  const ts = createRequire(import.meta.url)("typescript");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  symlinkSync(join(root, "test/dist/lab"), join(out, "lab"), "dir");
  for (const source of SOURCES) {
    const text = readFileSync(join(root, "test", source), "utf8");
    const { outputText } = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: source,
    });
    const file = join(out, source.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, outputText);
  }
  ready = true;
}

async function load(source) {
  if (!ready) build();
  return import(pathToFileURL(join(out, source.replace(/\.ts$/, ".js"))).href);
}

/** `writeManyImages(file, count, name)` from test/agent/many-images.ts. */
export const manyImages = () => load("agent/many-images.ts");
/** `startCountingProxy(upstream)` from test/registry/counting-proxy.ts. */
export const countingProxy = () => load("registry/counting-proxy.ts");
