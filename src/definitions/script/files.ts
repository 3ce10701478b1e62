/**
 * Definitions written as code: `spire.config.ts` (or .mts, .cts, .js, .mjs,
 * .cjs) is read wherever a spire.yaml is. Which file is "the" definitions
 * file of a folder when none is named: spire.yaml first, as always, then the
 * config files, so a folder with both keeps behaving as it did.
 */
import { existsSync } from "node:fs";
import { extname, join } from "node:path";

const SCRIPT_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"]);

export const DEFAULT_DEFINITIONS_FILES = ["spire.yaml", "spire.config.ts", "spire.config.mts", "spire.config.mjs", "spire.config.js"] as const;

export const isScriptConfig = (path: string): boolean => SCRIPT_EXTENSIONS.has(extname(path).toLowerCase());

/** The definitions file of `folder` (the first of DEFAULT_DEFINITIONS_FILES there), or undefined. */
export function findDefinitionsFile(folder = "."): string | undefined {
  return DEFAULT_DEFINITIONS_FILES.find((name) => existsSync(join(folder, name)));
}

/** The file to read when none is named: the one found, else spire.yaml (whose absence the reader reports). */
export const defaultDefinitionsFile = (folder = "."): string => findDefinitionsFile(folder) ?? DEFAULT_DEFINITIONS_FILES[0];
