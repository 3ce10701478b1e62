/** A definitions file, read as the CLI reads it: located errors, and the text an engine is sent. */
import { resolve } from "node:path";
import { loadDefinitions, formatDefinitionErrors } from "../spec/load.js";
import type { DefinitionsFormat } from "../spec/compat/format.js";
import { toSpireYaml } from "../spec/compat/to-yaml.js";
import type { SpireFile } from "../spec/schema.js";
import { CliError, EXIT } from "./errors.js";

/**
 * A definitions file in any of the formats (`format`: as given, else
 * detected); `text` is what an engine is sent: the file itself, or for
 * another tool's file its Spire translation (made here, where the files
 * beside it, such as prunner's .env, can be seen).
 */
export async function loadFileOrFail(file: string, format?: DefinitionsFormat): Promise<{ file: SpireFile; path: string; text: string }> {
  const path = resolve(file);
  const loaded = await loadDefinitions(path, format === undefined ? {} : { format });
  if (!loaded.ok) {
    const count = loaded.errors.length;
    throw new CliError(
      `${file} has ${count} error${count === 1 ? "" : "s"}:\n${formatDefinitionErrors(loaded.errors)}`,
      EXIT.usage,
      "Nothing was run. Fix the errors above and try again (spire validate -f FILE checks without running).",
    );
  }
  const text = loaded.format === "spire" ? loaded.source : toSpireYaml(loaded.spire, { format: loaded.format, file: path });
  return { file: loaded.file, path, text };
}

/**
 * What to send an engine for a definitions file whose text is `text`: the
 * text itself for a Spire file (the engine checks it), the Spire
 * translation for another tool's file. Such a file is checked here, where
 * the files beside it can be seen; with an explicit `format`, its errors are
 * reported here too (the engine could only guess the format).
 */
export async function textForEngine(file: string, text: string, format?: DefinitionsFormat): Promise<string> {
  if (format === "spire") return text;
  const loaded = await loadDefinitions(resolve(file), format === undefined ? {} : { format });
  if (loaded.ok) return loaded.format === "spire" ? text : toSpireYaml(loaded.spire, { format: loaded.format, file });
  return format === undefined ? text : (await loadFileOrFail(file, format)).text;
}
