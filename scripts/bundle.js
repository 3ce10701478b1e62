#!/usr/bin/env node
// Bundles the programs Spire starts — the `spire` command, its Tab-completion path and the supervisor — from
// tsc's output in dist/src into dist/bundle (a step of `npm run build`). Node 20 loads an ES module file by
// file, and a command used to read ~270 of them (zod and jose alone ~140) before doing anything: a bundle is a
// few files, and a CLI call costs about half the CPU. Commands still load their own code only when they run
// (dynamic imports become chunks). Code that runs from the bundles finds its files from the package's folder
// (src/files/package-root.ts), never beside the module.
import { build } from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
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
  // Loaded synchronously at their first use (src/modules/at-first-use.ts): a valid file never needs yaml, and an
  // engine at rest no trigger's words.
  "yaml",
  "cronstrue",
];

// zod re-exports its 64 locales as `z.locales`, so a bundle holds them all (370 KB of source, kept in the heap of
// every process that loads zod). Spire's messages are its own and zod's are English: `z.locales` holds `en` only.
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${join("node_modules", "zod")}${sep}`) ? { path: join(dirname(args.importer), "..", "locales", "index.js"), namespace: "zod-locales" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), "en.js"))};`,
      resolveDir: dirname(args.path),
    }));
  },
};

rmSync(`${root}dist/bundle`, { recursive: true, force: true });
const { outputFiles } = await build({
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
  plugins: [zodEnglishOnly],
  // V8 keeps each module's source for the life of the process (see below): without the comments and the
  // indentation, the engine's bundled sources take ~1 MB less of its heap at rest (bench/api's rest part).
  // Names are kept, so a stack trace still says which function it passed through.
  minifyWhitespace: process.env.SPIRE_BUNDLE_READABLE !== "1",
  logLevel: "warning",
  write: false,
});

// V8 keeps each module's source for the life of the process, one byte a character if every character is Latin-1,
// else two for all of it. esbuild escapes strings but leaves comments and regular expressions as written, and one
// `—` in a kept comment doubled the 1 MB zod chunk: every other character is written as a \u escape (the same
// character in a regular expression, nothing in a comment).
mkdirSync(`${root}dist/bundle`, { recursive: true });
for (const file of outputFiles) {
  const text = file.text.replace(/[^\x00-\xff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
  writeFileSync(file.path, text, { mode: text.startsWith("#!") ? 0o755 : 0o644 });
}
