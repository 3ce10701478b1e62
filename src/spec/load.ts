/**
 * Loading a definitions file: YAML → data → schema → semantic checks → the
 * normalised model. Every error of every stage is collected and reported at
 * once, each at its line and column, so one `spire validate` shows them all.
 * Only broken YAML syntax stops early: after it, the data is a guess.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { CheckContext } from "./check-context.js";
import { checkArgsAndPatterns } from "./check-args.js";
import { checkEnvFiles } from "./check-env-files.js";
import { checkGraphs } from "./check-graph.js";
import { checkTemplates } from "./check-templates.js";
import { checkTriggers } from "./check-triggers.js";
import { sortErrors, type DefinitionError } from "./errors.js";
import { spireFileSchema, type SpireFile } from "./schema.js";
import { MAX_DEFINITIONS_BYTES, readYaml, tooBig, type YamlOptions } from "./yaml-source.js";
import { issuesToErrors } from "./zod-issues.js";

export { formatDefinitionErrors, type DefinitionError } from "./errors.js";

export type LoadResult =
  | { ok: true; file: SpireFile; path: string; source: string }
  | { ok: false; errors: DefinitionError[] };

export type ParseOptions = YamlOptions;

interface Analysis {
  raw: unknown;
  model: SpireFile | undefined;
  context: CheckContext;
}

/** Pure: no I/O. */
export function parseDefinitions(text: string, fileName: string, options: ParseOptions = {}): LoadResult {
  return finish(analyse(text, fileName, options), fileName, text);
}

/** Reads the file (size limit), parses, validates, checks env_file paths exist (relative to the file). */
export async function loadDefinitions(path: string, options: ParseOptions = {}): Promise<LoadResult> {
  const text = await readLimited(path);
  if (typeof text !== "string") return { ok: false, errors: [text] };
  const analysis = analyse(text, path, options);
  if (analysis.raw !== undefined) await checkEnvFiles(analysis.raw, path, analysis.context);
  return finish(analysis, resolve(path), text);
}

function analyse(text: string, file: string, options: ParseOptions): Analysis {
  const yaml = readYaml(text, file, options);
  const context = new CheckContext(file, text, yaml.map);
  context.errors.push(...yaml.errors);
  if (!yaml.wellFormed) return { raw: undefined, model: undefined, context };
  if (yaml.value === null || yaml.value === undefined) {
    context.report([], "the file is empty", { expected: "a mapping with at least `pipelines:`" });
    return { raw: undefined, model: undefined, context };
  }

  const parsed = spireFileSchema.safeParse(yaml.value);
  if (!parsed.success) {
    const schemaErrors = issuesToErrors(parsed.error.issues, { file, schema: spireFileSchema, value: yaml.value, map: yaml.map });
    // Under an unknown tag (e.g. Gator's `!Job`) the shape was meant for another reader: the tag error says it all.
    context.errors.push(...schemaErrors.filter((error) => !yaml.unknownTagPaths.some((path) => isWithin(error.keyPath, path))));
  }
  checkTemplates(yaml.value, context);
  checkArgsAndPatterns(yaml.value, context);
  checkTriggers(yaml.value, context);
  // The planner needs the normalised model, so graph errors wait for the schema to pass.
  if (parsed.success) checkGraphs(parsed.data, yaml.value, context);
  return { raw: yaml.value, model: parsed.success ? parsed.data : undefined, context };
}

function isWithin(keyPath: string, outer: string): boolean {
  return outer !== "" && (keyPath === outer || keyPath.startsWith(`${outer}.`) || keyPath.startsWith(`${outer}[`));
}

function finish(analysis: Analysis, path: string, source: string): LoadResult {
  const errors = analysis.context.errors;
  if (errors.length > 0 || analysis.model === undefined) {
    return { ok: false, errors: sortErrors(errors) };
  }
  return { ok: true, file: analysis.model, path, source };
}

/** The file's text, or an error when it cannot be read or is too big (checked before reading it). */
async function readLimited(path: string): Promise<string | DefinitionError> {
  const whole = (message: string, hint?: string): DefinitionError => ({
    file: path,
    line: 0,
    column: 0,
    keyPath: "",
    message,
    ...(hint === undefined ? {} : { hint }),
  });
  try {
    const info = await stat(path);
    if (!info.isFile()) return whole("not a file", "pass the definitions file itself (default spire.yaml)");
    if (info.size > MAX_DEFINITIONS_BYTES) {
      return tooBig(path, info.size);
    }
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return whole("no such file", "create it, or pass another file with -f");
    return whole(`cannot read the file: ${error instanceof Error ? error.message : String(error)}`);
  }
}
