/**
 * A definitions file's warnings (valid, but will not work as the file seems
 * to mean), as every command that checks or applies a file prints them:
 * spire validate, spire apply, spire run -f and spire engine -f.
 *
 * Two places find them. The check here, beside the file, sees what only its
 * folder shows (a watched path not there yet, an env_file); the engine sees
 * what only it knows (an `after` pipeline it has not got, another file's
 * pipelines in the namespace). The engine checks the text again, so its
 * list repeats the warnings of the text alone: each is said once.
 */
import pc from "picocolors";
import { formatDefinitionErrors, type DefinitionError } from "../definitions/errors.js";

/**
 * The check's warnings, then the engine's that it did not give. Matched by
 * message: the engine names the file as it was given to it, and for another
 * tool's file it checks the translation, whose key paths and lines are not
 * the file's. What only the engine knows is never said by the check.
 */
export function fileAndEngineWarnings(checked: readonly DefinitionError[], engine: readonly DefinitionError[] | undefined): DefinitionError[] {
  return [...checked, ...engineOnlyWarnings(checked, engine)];
}

/** The engine's warnings that the check did not give (an older engine sends none). */
export function engineOnlyWarnings(checked: readonly DefinitionError[], engine: readonly DefinitionError[] | undefined): DefinitionError[] {
  const said = new Set(checked.map((warning) => warning.message));
  return (engine ?? []).filter((warning) => !said.has(warning.message));
}

/** Yellow, on stderr, one a line (nothing when there are none). */
export function printWarnings(warnings: readonly DefinitionError[]): void {
  if (warnings.length > 0) process.stderr.write(`${pc.yellow(formatDefinitionErrors(warnings))}\n`);
}
