import { defineConfig } from "vite";

/**
 * The page is served by the collector at `/` with its files under `/assets/`.
 * Relative URLs (`base: "./"`) keep it working behind a path prefix
 * (kubectl proxy, an ingress sub-path). Every file is emitted, never inlined,
 * so the collector's content-security policy can stay `'self'`.
 */
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    assetsInlineLimit: 0,
    target: "es2022",
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
