/**
 * The `yaml` package, loaded at its first use (modules/at-first-use.ts). A
 * valid file is read by yaml-plain.ts and needs no Document, so an engine
 * at rest and a `spire run` of a valid file neither compile its ~170 KB of
 * source nor keep it; it is loaded where a place in a file is first asked
 * for.
 */
import { atFirstUse } from "../modules/at-first-use.js";

type YamlLibrary = typeof import("yaml");

export const yamlLibrary = atFirstUse<YamlLibrary>("yaml");

/** Where a file's lines start, filled in as the yaml package parses it. */
export function newLineCounter(): InstanceType<YamlLibrary["LineCounter"]> {
  return new (yamlLibrary().LineCounter)();
}
