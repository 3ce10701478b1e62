#!/usr/bin/env node
// Bundles the programs Spire starts — the `spire` command, its Tab-completion path and the supervisor — from
// tsc's output in dist/src into dist/bundle (a step of `npm run build`). Node 20 loads an ES module file by
// file, and a command used to read ~270 of them (zod and jose alone ~140) before doing anything: a bundle is a
// few files, and a CLI call costs about half the CPU. Commands still load their own code only when they run
// (dynamic imports become chunks). Code that runs from the bundles finds its files from the package's folder
// (src/files/package-root.ts), never beside the module.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

// Left in node_modules: native code, packages that find files of their own at run time (pino's transports
// run pino-pretty in a thread by its path; esbuild finds its binary), and the large ones that only some
// commands load (the engine's server, the drivers, MCP), where one module more or less costs nothing.
const EXTERNAL = [
  "better-sqlite3",
  "esbuild",
  "pino",
  "pino-pretty",
  "fastify",
  "@fastify/*",
  "pg",
  "mysql2",
  "mqtt",
  "chokidar",
  "@babel/parser",
  "@modelcontextprotocol/sdk",
  "@modelcontextprotocol/sdk/*",
  "dbgate-query-splitter",
];

rmSync(`${root}dist/bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    main: "dist/src/cli/main.js",
    completion: "dist/src/cli/commands/completion-values.js",
    supervisor: "dist/src/exec/supervisor/main.js",
  },
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: EXTERNAL,
  // CommonJS packages in the bundle (commander, …) call require() for Node's own modules.
  banner: { js: 'import { createRequire as __spireRequire } from "node:module"; const require = __spireRequire(import.meta.url);' },
  logLevel: "warning",
});
