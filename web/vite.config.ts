// Builds the command center into services/respond/static, which respond serves at /, /wall and /assets/{name}.
// Everything ships from this origin: no CDN, no inline script or style (the pages' CSP allows neither).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  publicDir: false,
  build: {
    outDir: "../services/respond/static",
    emptyOutDir: true,
    assetsDir: "assets",
    // Never inline an asset as a data: URL or a style as a <style> element: the CSP is 'self' only.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
    rollupOptions: {
      input: { index: "index.html", wall: "wall.html" },
    },
  },
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
});
