/**
 * The `yaml` package, loaded at its first use. A valid file is read by
 * yaml-plain.ts and needs no Document, so an engine at rest and a
 * `spire run` of a valid file neither compile its ~170 KB of source at
 * start nor keep it (V8 holds a module's source for the life of the
 * process). It stays out of the bundles (scripts/bundle.js) so that it can
 * be loaded synchronously, where a place in a file is first asked for.
 */
import { createRequire } from "node:module";

type YamlLibrary = typeof import("yaml");

// Not `require`: the bundles' banner declares that name in every chunk.
const requireFromHere = createRequire(import.meta.url);
let library: YamlLibrary | undefined;

export function yamlLibrary(): YamlLibrary {
  return (library ??= requireFromHere("yaml") as YamlLibrary);
}

/** Where a file's lines start, filled in as the yaml package parses it. */
export function newLineCounter(): InstanceType<YamlLibrary["LineCounter"]> {
  return new (yamlLibrary().LineCounter)();
}
