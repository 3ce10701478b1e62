/**
 * Builds the web UI into dist/ui (index.html and hashed assets), which the
 * engine serves itself. The engine sends a strict Content-Security-Policy
 * (script-src 'self', style-src 'self'): nothing may be inlined.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/",
  // No public/ folder: every file the UI ships goes through the bundler.
  publicDir: false,
  logLevel: "warn",
  // Preact's automatic JSX runtime through Vite's own transform (no babel).
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/ui/", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // The polyfill would be an inline <script>, which the CSP refuses; every browser the UI targets preloads modules itself.
    modulePreload: { polyfill: false },
    // Small assets inlined as data: URLs would need the CSP to allow them for fonts and styles too.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    sourcemap: false,
  },
});
