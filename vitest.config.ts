import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` (fast, next to the code, no external programs) and
 * `lab` (real containerd, runc and a registry on loopback, see test/lab).
 * The `@imagedrift/source` condition makes workspace imports resolve to
 * TypeScript sources, so unit tests need no build.
 */
const conditions = ["@imagedrift/source", "module", "node", "development|production"];
const resolve = { conditions };
const ssr = { resolve: { conditions, externalConditions: ["@imagedrift/source"] } };

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: "lab",
          include: ["test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "test/dist/**"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Each lab file starts its own containerd nodes; two cores run two at a time.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          fileParallelism: true,
        },
      },
    ],
  },
});
