/**
 * The one entry for files in another tool's format: which YAML tags the
 * reader accepts, and the translation into Spire's shape with the map that
 * takes errors back to the original file. load.ts checks the result like any
 * Spire file, so there is one model and one set of rules.
 */
import { access } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DefinitionError } from "../errors.js";
import type { SourceMap } from "../positions.js";
import type { YamlOptions } from "../yaml-source.js";
import type { DefinitionsFormat } from "./format.js";
import { translateGator } from "./gator.js";
import { gatorTags } from "./gator-tags.js";
import { Origins, TranslatedSourceMap } from "./origins.js";
import { translatePrunner } from "./prunner.js";
import { ForeignReader, type Raw } from "./reader.js";

export type ForeignFormat = Exclude<DefinitionsFormat, "spire">;

export interface Translation {
  /** The file in Spire's shape (as a user would write it), or undefined when it could not be made. */
  spire: Raw | undefined;
  /** Errors of the original file, already placed on it. */
  errors: DefinitionError[];
  origins: Origins;
  /** Places in the original file for paths of the translated one. */
  map: SourceMap;
}

export function yamlOptionsFor(format: DefinitionsFormat | undefined, given: YamlOptions): YamlOptions {
  return format === "gator" ? { ...given, customTags: [...(given.customTags ?? []), ...gatorTags()] } : given;
}

export function translate(format: ForeignFormat, value: unknown, file: string, source: string, map: SourceMap, envFiles: string[]): Translation {
  const reader = new ForeignReader(file, source, map);
  const spire = format === "prunner" ? translatePrunner(value, reader, { envFiles }) : translateGator(value, reader);
  return { spire, errors: reader.errors, origins: reader.origins, map: new TranslatedSourceMap(map, reader.origins) };
}

/**
 * Errors the Spire checks found in a translation, in the original file's
 * terms; where the translator already said what is wrong, its words stand alone.
 */
export function laterErrors(translation: Translation, errors: readonly DefinitionError[]): DefinitionError[] {
  const said = new Set(translation.errors.map((error) => `${error.line}:${error.column}`));
  return translation.origins.relabel(errors).filter((error) => !said.has(`${error.line}:${error.column}`));
}

/** prunner reads `.env`, then `.env.local` (which wins); those beside the file are used. */
export async function envFilesBeside(path: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of [".env", ".env.local"]) {
    try {
      await access(join(dirname(path), name));
      found.push(name);
    } catch {
      // not there: prunner goes on without it
    }
  }
  return found;
}
