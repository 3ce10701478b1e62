/**
 * `spire convert FILE`: a prunner pipelines.yml or a Gator job file as the
 * equivalent spire.yaml, printed. It is read back before it is printed, so
 * what comes out validates and runs the same as the original.
 */
import { resolve } from "node:path";
import { formatDefinitionErrors, loadDefinitions, parseDefinitions } from "../../definitions/load.js";
import type { DefinitionsFormat } from "../../definitions/compat/format.js";
import { toSpireYaml } from "../../definitions/compat/to-yaml.js";
import { CliError, EXIT } from "../errors.js";
import { isScriptConfig } from "../../definitions/script/files.js";

export async function convertCommand(file: string, options: { format?: DefinitionsFormat }): Promise<void> {
  // The file is convert's argument: its hints do not point at -f, which convert does not take.
  const loaded = await loadDefinitions(resolve(file), { givenAs: "path", ...(options.format === undefined ? {} : { format: options.format }) });
  if (!loaded.ok) {
    const count = loaded.errors.length;
    throw new CliError(`${file} has ${count} error${count === 1 ? "" : "s"}:\n${formatDefinitionErrors(loaded.errors)}`, EXIT.usage, "Nothing was converted. Fix the errors above and try again.");
  }
  if (loaded.format === "spire") {
    // A config file (spire.config.ts) is printed as the spire.yaml it makes.
    process.stderr.write(isScriptConfig(file) ? `${file}: the definitions it makes, as YAML\n` : `${file} is already a Spire definitions file; printed unchanged\n`);
    process.stdout.write(loaded.source);
    return;
  }
  const text = toSpireYaml(loaded.spire, { format: loaded.format, file });
  // The output must say the same as the input: a difference is our bug, not the user's.
  const again = parseDefinitions(text, "converted.yaml", { format: "spire" });
  if (!again.ok || JSON.stringify(again.file) !== JSON.stringify(loaded.file)) {
    const why = again.ok ? "it reads differently" : formatDefinitionErrors(again.errors);
    throw new CliError(`could not convert ${file}: the result does not read back the same (${why})`, EXIT.runFailed, "Please report this, with the file.");
  }
  process.stdout.write(text);
}
