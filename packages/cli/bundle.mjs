/**
 * Bundles the command into one file, dist/imagedrift.js, which bin/imagedrift.js runs: the code of this
 * package and of the workspace packages it imports (@imagedrift/core, which is not published), with the
 * packages in package.json's `dependencies` left as imports. So the tarball of `npm pack` installs
 * anywhere with npm alone, and a dependency is either bundled or declared, never found by chance in a
 * hoisted node_modules.
 */
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8"));
const engines = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).engines;

await build({
  entryPoints: [new URL("src/main.ts", import.meta.url).pathname],
  outfile: new URL("dist/imagedrift.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: `node${engines.node.replace(/^>=/, "")}`,
  external: Object.keys(pkg.dependencies ?? {}),
  // The workspace packages' TypeScript sources, as the unit tests read them: no build order to get wrong.
  conditions: ["@imagedrift/source"],
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
});
