/**
 * A config file (spire.config.ts and kin) read as a definitions file: run,
 * its default export checked by the same checks as a spire.yaml, each error
 * placed at the line and column of the key in the source. An engine is sent
 * the same definitions as YAML, made from the data by the yaml package.
 */
import { basename, extname } from "node:path";
import { Document } from "yaml";
import { checkDefinitionsValue, type LoadResult, type ParseOptions } from "../load.js";
import { evaluateConfig } from "./evaluate.js";
import { ScriptSourceMap } from "./locate.js";

export async function loadConfigFile(path: string, text: string, options: ParseOptions): Promise<LoadResult> {
  const evaluated = await evaluateConfig(path, text);
  if (!evaluated.ok) return { ok: false, errors: [evaluated.error], warnings: [] };
  const map = new ScriptSourceMap(text, /^\.[mc]?ts$/i.test(extname(path)));
  return checkDefinitionsValue(evaluated.value, path, { text, map, yaml: asYaml(evaluated.value, path) }, options);
}

/** Only valid definitions reach an engine, and those are plain data; anything else is reported by the checks, not here. */
function asYaml(value: unknown, path: string): string {
  try {
    const document = new Document(value);
    document.commentBefore = ` Made from ${basename(path)}: edit that file, not this text.`;
    return document.toString({ lineWidth: 0 });
  } catch {
    return "";
  }
}
