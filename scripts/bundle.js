#!/usr/bin/env node
// Bundles the programs Spire starts — the `spire` command, its Tab-completion path and the supervisor — from
// tsc's output in dist/src into dist/bundle (a step of `npm run build`). Node 20 loads an ES module file by
// file, and a command used to read ~270 of them (zod and jose alone ~140) before doing anything: a bundle is a
// few files, and a CLI call costs about half the CPU. Commands still load their own code only when they run
// (dynamic imports become chunks). Code that runs from the bundles finds its files from the package's folder
// (src/files/package-root.ts), never beside the module. The command is also bundled as one CommonJS file with a V8
// code cache for it (end of this file; bin/cached-cli.js says why).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
const shared = {
  absWorkingDir: root,
  outdir: "dist/bundle",
  bundle: true,
  platform: "node",
  target: "node20",
  external: EXTERNAL,
  plugins: [zodEnglishOnly],
  // V8 keeps each module's source for the life of the process (see below): without the comments and the
  // indentation, the engine's bundled sources take ~1 MB less of its heap at rest (bench/api's rest part).
  // Names are kept, so a stack trace still says which function it passed through.
  minifyWhitespace: process.env.SPIRE_BUNDLE_READABLE !== "1",
  logLevel: "warning",
  write: false,
};
const modules = await build({
  ...shared,
  entryPoints: {
    main: "dist/src/cli/main.js",
    completion: "dist/src/cli/commands/completion-values.js",
    supervisor: "dist/src/exec/supervisor/main.js",
  },
  splitting: true,
  format: "esm",
  // CommonJS packages in the bundle (commander, …) call require() for Node's own modules.
  banner: { js: 'import { createRequire as __spireRequire } from "node:module"; const require = __spireRequire(import.meta.url);' },
});
// The command again as one CommonJS file, which bin/cached-cli.js compiles with a V8 code cache (ES modules take
// none on Node 20). Dynamic imports stay lazy (esbuild runs a module's code at its first import); import.meta.url
// is the file's URL, given by the loader. From such a script Node 20 has no working import(): those of Node's
// modules and of the packages left out (all CommonJS) become require(), and a config file's module is imported
// by the loader (src/modules/import-esm.ts).
const importEsmByLoader = {
  name: "import-esm-by-loader",
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/]src[\\/]modules[\\/]import-esm\.js$/ }, () => ({ contents: "export function importEsm(url) { return __spireImportEsm(url); }" }));
  },
};
const script = await build({
  ...shared,
  entryPoints: { cli: "dist/src/cli/main.js" },
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  supported: { "dynamic-import": false },
  define: { "import.meta.url": "__spireBundleUrl" },
  plugins: [...shared.plugins, importEsmByLoader],
});
const outputFiles = [...modules.outputFiles, ...script.outputFiles];

// V8 keeps each module's source for the life of the process, one byte a character if every character is Latin-1,
// else two for all of it. esbuild escapes strings but leaves comments and regular expressions as written, and one
// `—` in a kept comment doubled the 1 MB zod chunk: every other character is written as a \u escape (the same
// character in a regular expression, nothing in a comment).
mkdirSync(`${root}dist/bundle`, { recursive: true });
for (const file of outputFiles) {
  const text = file.text.replace(/[^\x00-\xff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
  writeFileSync(file.path, text, { mode: text.startsWith("#!") ? 0o755 : 0o644 });
}

// The code cache: a small `spire run -f` with the CommonJS bundle, compiled without a cache, writes every function
// it compiled as it exits (bin/cached-cli.js). The run goes through bin/spire.js, as the command will, so that V8's
// flags are the ones the cache is checked against. Without it the command loads the ES module bundle: slower to
// start, nothing else.
const training = mkdtempSync(join(tmpdir(), "spire-code-cache-"));
try {
  const file = join(training, "spire.yaml");
  writeFileSync(file, "pipelines:\n  warm-up:\n    tasks:\n      first: { exec: [\"true\"] }\n      second: { exec: [\"true\"], needs: [first] }\n");
  const { CODE_CACHE } = await import(new URL("../bin/cached-cli.js", import.meta.url).href);
  const trained = spawnSync(process.execPath, [`${root}bin/spire.js`, "run", "-f", file], {
    cwd: training,
    env: { ...process.env, SPIRE_DATA: join(training, "data"), SPIRE_CODE_CACHE_OUT: CODE_CACHE, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (trained.status !== 0) console.warn(`bundle: no code cache (the training run exited ${trained.status ?? trained.signal}): ${(trained.stderr ?? "").trim()}`);
} finally {
  rmSync(training, { recursive: true, force: true });
}
