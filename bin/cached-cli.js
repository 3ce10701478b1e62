// The `spire` command's code compiled from a V8 code cache (bin/spire.js decides when).
//
// Node 20 compiles each ES module from its source at every start (module.enableCompileCache came with Node 22),
// and a command's modules took a third of a short `spire run -f`: 35 ms of compiling the bundle's chunks, then
// each function compiled again at its first call. A classic script can be given V8's cache of its compiled code
// instead (vm.Script's cachedData): the build bundles the command into one CommonJS file, dist/bundle/cli.cjs,
// and runs a small `spire run -f` with it, whose compiled functions are written out as the cache
// (scripts/bundle.js). A one-task `spire run -f` went from 212 to 133 ms (ten runs each, in turn), the first task
// of bench/dag's 1,000 starting ~100 ms sooner.
//
// V8 takes a cache made by its own version with the same flags only, and refuses any other after compiling
// anyway: the cache's name carries the V8 version, and without one for this Node the command loads the ES
// module bundle (dist/bundle/main.js) as before.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import vm from "node:vm";

const BUNDLE = fileURLToPath(new URL("../dist/bundle/cli.cjs", import.meta.url));
export const CODE_CACHE = fileURLToPath(new URL(`../dist/bundle/cli-${process.versions.v8}.cache`, import.meta.url));

/**
 * The command's module (its `main`), or undefined when there is no cache for this Node. `writeCacheTo`: compile
 * without a cache and write one there as the process exits, with every function compiled by then (the build's
 * training run).
 */
export function loadCachedCli({ writeCacheTo } = {}) {
  let cachedData, source;
  try {
    cachedData = writeCacheTo === undefined ? readFileSync(CODE_CACHE) : undefined;
    source = readFileSync(BUNDLE, "utf8");
  } catch {
    return undefined; // not built (an older build, or a build whose training run failed)
  }
  // The bundle begins with "use strict", as every ES module is strict: it stays the wrapper's first statement.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __spireBundleUrl, __spireImportEsm) {${source}\n})`;
  // No import() in it (scripts/bundle.js): from a vm.Script with a cache, Node 20's fails in the functions the cache brought back.
  const script = new vm.Script(wrapped, { filename: BUNDLE, cachedData });
  // Readable by every user of the package (Spire's own files are private: its umask is 077).
  if (writeCacheTo !== undefined) process.once("exit", () => (writeFileSync(writeCacheTo, script.createCachedData()), chmodSync(writeCacheTo, 0o644)));
  if (script.cachedDataRejected === true && process.env.SPIRE_DEBUG) process.stderr.write(`spire: V8 refused the code cache ${CODE_CACHE} (made with other flags?): the command was compiled from source\n`);
  const module = { exports: {} };
  // __spireBundleUrl stands for import.meta.url in the bundle (its modules find the package's files from it).
  // __spireImportEsm: import() from this ES module, for a config file's code (src/modules/import-esm.ts).
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE), pathToFileURL(BUNDLE).href, (url) => import(url));
  return module.exports;
}
