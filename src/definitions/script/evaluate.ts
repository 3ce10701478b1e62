/**
 * Runs a config file (spire.config.ts and kin) and answers its default export.
 * The config is the user's own code, run because the user named the file (or
 * it is the folder's definitions file): a path from an API request never gets
 * here, the engine only reads definitions as data.
 *
 * esbuild compiles it (TypeScript or JavaScript, with the local files it
 * imports) into one ES module, kept in memory: nothing is written beside the
 * user's files. Packages it imports stay outside the bundle and are loaded
 * from where they are installed (their resolved file URLs are written in),
 * `spire` itself being this installation's. The module is imported from a
 * data: URL; a thrown error is placed back in the source through esbuild's
 * source map (node:module's SourceMap reads it).
 */
import { isBuiltin, SourceMap } from "node:module";
import { basename, dirname, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { BuildFailure, Message, Plugin } from "esbuild";
import type { DefinitionError } from "../errors.js";
import { packageFile } from "../../files/package-root.js";
import { importEsm } from "../../modules/import-esm.js";

export type Evaluated = { ok: true; value: unknown } | { ok: false; error: DefinitionError };

/** What `import … from "spire"` means inside a config: the package that is reading it. */
const SPIRE_ENTRY = packageFile("dist", "src", "public", "index.js");

const HINT_EXPORT = 'end the file with: export default defineConfig({ pipelines: { … } }) (import { defineConfig } from "spire")';

export async function evaluateConfig(file: string, text: string): Promise<Evaluated> {
  const path = resolve(file);
  const compiled = await compile(path, text);
  if (!compiled.ok) return compiled;
  const url = `data:text/javascript;base64,${Buffer.from(compiled.code).toString("base64")}`;
  const place = (error: unknown) => placeOfThrow(error, url, compiled.map, path);
  let exported: unknown;
  try {
    const module = (await importEsm(url)) as Record<string, unknown>;
    if (!("default" in module)) return { ok: false, error: { file: path, line: 1, column: 1, keyPath: "", message: "the file has no default export", hint: HINT_EXPORT } };
    exported = module.default;
    // A function (sync or async) is called: a config may compute its definitions.
    if (typeof exported === "function") exported = await (exported as () => unknown)();
    return { ok: true, value: await exported };
  } catch (error) {
    return { ok: false, error: { ...place(error), keyPath: "", message: `the file threw an error: ${messageOf(error)}`, hint: "fix the code at this place; run it alone with node to see more" } };
  }
}

type Compiled = { ok: true; code: string; map: SourceMap } | { ok: false; error: DefinitionError };

async function compile(path: string, text: string): Promise<Compiled> {
  const esbuild = await import("esbuild");
  const folder = dirname(path);
  try {
    const result = await esbuild.build({
      stdin: { contents: text, sourcefile: basename(path), resolveDir: folder, loader: /^\.[mc]?ts$/i.test(extname(path)) ? "ts" : "js" },
      absWorkingDir: folder,
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "external",
      outfile: "spire-config.mjs",
      // Inside the bundle, import.meta.url would be the data: URL; the config's own is what its code means.
      define: { "import.meta.url": JSON.stringify(pathToFileURL(path).href) },
      // A CommonJS config's require() of a package or a Node module, which an ES module has no require for.
      ...(/^\.c[jt]s$/i.test(extname(path)) ? { banner: { js: `import { createRequire as __spireCreateRequire } from "node:module"; const require = __spireCreateRequire(${JSON.stringify(pathToFileURL(path).href)});` } } : {}),
      logLevel: "silent",
      plugins: [packagesFromWhereTheyAre],
    });
    const code = result.outputFiles.find((file) => file.path.endsWith(".mjs"))!.text;
    const map = new SourceMap(JSON.parse(result.outputFiles.find((file) => file.path.endsWith(".map"))!.text) as ConstructorParameters<typeof SourceMap>[0]);
    return { ok: true, code, map };
  } catch (error) {
    const first = (error as BuildFailure).errors?.[0];
    if (first === undefined) throw error;
    return { ok: false, error: compileError(first, path) };
  } finally {
    // esbuild serves from a child process: none is left behind in a long-lived process (an embedding application).
    await esbuild.stop();
  }
}

/** Bare imports resolve from the config's folder and stay outside the bundle, as absolute URLs a data: module can load. */
const packagesFromWhereTheyAre: Plugin = {
  name: "spire-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === "inner" || args.kind === "entry-point") return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      if (args.path === "spire") return { path: pathToFileURL(SPIRE_ENTRY).href, external: true };
      const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: "inner" });
      if (found.errors.length > 0) return { errors: found.errors };
      return { path: pathToFileURL(found.path).href, external: true };
    });
  },
};

function compileError(message: Message, path: string): DefinitionError {
  const location = message.location;
  const file = location === null || location.file === basename(path) ? path : resolve(dirname(path), location.file);
  return {
    file,
    line: location?.line ?? 0,
    column: location === null ? 0 : location.column + 1,
    keyPath: "",
    message: `the file cannot be compiled: ${message.text}`,
    ...(message.notes[0]?.text ? { hint: message.notes[0].text } : {}),
  };
}

/** The innermost frame of the config's own code in the error's stack, in the source's terms. */
function placeOfThrow(error: unknown, url: string, map: SourceMap, path: string): Pick<DefinitionError, "file" | "line" | "column"> {
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  const at = stack.indexOf(`${url}:`);
  const frame = at < 0 ? undefined : /^:(\d+):(\d+)/.exec(stack.slice(at + url.length));
  if (frame === undefined || frame === null) return { file: path, line: 0, column: 0 };
  const entry = map.findEntry(Number(frame[1]) - 1, Number(frame[2]) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (entry.originalSource === undefined || entry.originalLine === undefined) return { file: path, line: 0, column: 0 };
  const source = entry.originalSource === basename(path) ? path : resolve(dirname(path), entry.originalSource);
  return { file: source, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
