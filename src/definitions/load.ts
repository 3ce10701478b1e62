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
import { checkArtifacts } from "./check-artifacts.js";
import { checkFiles } from "./check-files.js";
import { checkGraphs } from "./check-graph.js";
import { checkLimits } from "./check-limits.js";
import { checkTemplates } from "./check-templates.js";
import { checkTriggers } from "./check-triggers.js";
import { envFilesBeside, laterErrors, translate, yamlOptionsFor } from "./compat/foreign.js";
import { isGatorText, looksLikePrunner, type DefinitionsFormat } from "./compat/format.js";
import { formatKeyPath, isWarning, sortErrors, type DefinitionError, type PathSegment } from "./errors.js";
import type { SourceMap } from "./positions.js";
import { EXTENSION_KEY, spireFileSchema, type SpireFile } from "./schema.js";
import { isScriptConfig } from "./script/files.js";
import { MAX_DEFINITIONS_BYTES, readYaml, tooBig, type YamlOptions } from "./yaml-source.js";
import { withCollectionQuoteHint } from "./quote-hint.js";
import { issuesToErrors } from "./zod-issues.js";
import { isRecord } from "./is-record.js";
import { readDefinitionsInput, type InputOptions } from "./remote/definitions-input.js";
import { refuseRelativePaths } from "./remote/check-remote-paths.js";

export { formatDefinitionErrors, type DefinitionError } from "./errors.js";

export type LoadResult =
  /**
   * `spire`: for a file in another tool's format, the same definitions in Spire's own shape.
   * `at`: where a key path of `spire` (or of the file itself) is, for what a caller checks later.
   */
  | {
      ok: true;
      file: SpireFile;
      path: string;
      source: string;
      format: DefinitionsFormat;
      spire?: unknown;
      warnings: DefinitionError[];
      at(path: PathSegment[]): Place;
    }
  | { ok: false; errors: DefinitionError[]; warnings: DefinitionError[] };

/** A file that parsed and passed every check. */
export type CheckedDefinitions = Extract<LoadResult, { ok: true }>;

export type Place = Pick<DefinitionError, "file" | "line" | "column" | "keyPath">;

export interface ParseOptions extends YamlOptions {
  /** Spire's own, prunner's pipelines.yml or a Gator job file; detected from the content when not given. */
  format?: DefinitionsFormat;
  /** For a prunner file: which of `.env` and `.env.local` lie beside it (loadDefinitions looks). */
  envFiles?: string[];
  /** The time now, for warnings about times already past (an `at` that will never fire); none without it. */
  now?: number;
  /** The most tasks one run of a pipeline may expand to (default DEFAULT_MAX_TASKS; `spire engine --max-tasks`). */
  maxTasks?: number;
}

interface Analysis {
  raw: unknown;
  model: SpireFile | undefined;
  context: CheckContext;
  format: DefinitionsFormat;
  /** For another tool's file: the places of the translation's key paths in the original, and its errors said in the original's terms. */
  translation?: { map: SourceMap; relabel(errors: readonly DefinitionError[]): DefinitionError[] };
}

/** Pure: no I/O. */
export function parseDefinitions(text: string, fileName: string, options: ParseOptions = {}): LoadResult {
  return finish(analyse(text, fileName, options), fileName, text);
}

/**
 * Definitions from `-f`: a file (as loadDefinitions), stdin (`-` — relative
 * paths in it are relative to the current folder, as for a file there) or a
 * URL (fetched; relative local paths in it are refused: see
 * check-remote-paths.ts). `path` of the result is what the namespace's origin
 * records: the file's absolute path, `<cwd>/<stdin>`, or the URL.
 */
export async function loadDefinitionsFrom(given: string, options: ParseOptions & InputOptions = {}): Promise<LoadResult> {
  const input = await readDefinitionsInput(given, options);
  if (!("kind" in input)) return { ok: false, errors: [input], warnings: [] };
  if (input.kind === "file") return loadDefinitions(resolve(input.path), options);
  if (input.kind === "stdin") {
    const here = resolve(input.name);
    return checkedWithFiles(input.text, input.name, here, options, (raw, checks) => checkFiles(raw, here, checks));
  }
  return checkedWithFiles(input.text, input.name, input.name, { ...options, envFiles: [] }, async (raw, checks) => refuseRelativePaths(raw, checks));
}

/**
 * Reads the file (size limit), parses, validates, checks the files it names
 * (env_file, scripts; relative to the file) and warns about times already past.
 */
export async function loadDefinitions(path: string, options: ParseOptions = {}): Promise<LoadResult> {
  const text = await readLimited(path, options.givenAs ?? "-f");
  if (typeof text !== "string") return { ok: false, errors: [text], warnings: [] };
  // Loaded only for a config file: reading YAML never pays for the compiler.
  if (isScriptConfig(path)) return (await import("./script/load.js")).loadConfigFile(path, text, options);
  return checkedWithFiles(text, path, resolve(path), options, (raw, checks) => checkFiles(raw, path, checks));
}

/** `name` is what errors say; `located` where the text stands for relative paths (and what the result's path is). */
async function checkedWithFiles(text: string, name: string, located: string, options: ParseOptions, checkPaths: (raw: unknown, checks: CheckContext) => Promise<void>): Promise<LoadResult> {
  const analysis = analyse(text, name, { now: Date.now(), ...options, envFiles: options.envFiles ?? (await envFilesBeside(located)) });
  if (analysis.raw !== undefined) {
    const { translation } = analysis;
    const checks = translation === undefined ? analysis.context : new CheckContext(name, text, translation.map);
    await checkPaths(analysis.raw, checks);
    if (translation !== undefined) analysis.context.errors.push(...translation.relabel(checks.errors));
  }
  return finish(analysis, located, text);
}

/**
 * Definitions made by code (spire.config.ts): the value its default export
 * gave, checked as a Spire file and placed by `map` in the file's `source`;
 * `yaml` is the same definitions as text, for an engine.
 */
export async function checkDefinitionsValue(value: unknown, path: string, source: { text: string; map: SourceMap; yaml: string }, options: ParseOptions): Promise<LoadResult> {
  const context = new CheckContext(path, source.text, source.map);
  if (value === null || value === undefined) {
    context.report([], "the default export is empty", { expected: "an object with at least `pipelines:`" });
    return finish({ raw: undefined, model: undefined, context, format: "spire" }, resolve(path), source.yaml);
  }
  const analysis = { ...check(value, context, [], { now: Date.now(), ...options }), format: "spire" as const };
  await checkFiles(value, path, context);
  return finish(analysis, resolve(path), source.yaml);
}

function analyse(text: string, file: string, options: ParseOptions): Analysis {
  // A Gator file is known by its first tag, before reading: its tags are accepted by its reader only.
  const given = options.format ?? (isGatorText(text) ? "gator" : undefined);
  const yaml = readYaml(text, file, yamlOptionsFor(given, options));
  const context = new CheckContext(file, text, yaml.map);
  context.errors.push(...yaml.errors);
  if (!yaml.wellFormed) return { raw: undefined, model: undefined, context, format: given ?? "spire" };
  if (yaml.value === null || yaml.value === undefined) {
    context.report([], "the file is empty", { expected: "a mapping with at least `pipelines:`" });
    return { raw: undefined, model: undefined, context, format: given ?? "spire" };
  }
  const format = given ?? (looksLikePrunner(yaml.value) ? "prunner" : "spire");
  if (format === "spire") return { ...check(withoutExtensionKeys(yaml.value), context, yaml.unknownTagPaths, options), format };

  // Another tool's file: translated into Spire's shape, then checked as one, its errors placed back on the original.
  const translated = translate(format, yaml.value, file, text, yaml.map, options.envFiles ?? []);
  context.errors.push(...translated.errors);
  if (translated.spire === undefined) return { raw: undefined, model: undefined, context, format };
  const checks = new CheckContext(file, text, translated.map);
  const checked = check(translated.spire, checks, [], options);
  const relabel = (errors: readonly DefinitionError[]) => laterErrors(translated, errors);
  context.errors.push(...relabel(checks.errors));
  return { raw: translated.spire, model: checked.model, context, format, translation: { map: translated.map, relabel } };
}

function check(value: unknown, context: CheckContext, unknownTagPaths: string[], options: ParseOptions): Pick<Analysis, "raw" | "model" | "context"> {
  if (!checkLimits(value, context)) return { raw: value, model: undefined, context };
  const parsed = spireFileSchema.safeParse(value);
  if (!parsed.success) {
    const schemaErrors = issuesToErrors(parsed.error.issues, { file: context.file, schema: spireFileSchema, value, map: context.map });
    // Under an unknown tag (e.g. Gator's `!Job`) the shape was meant for another reader: the tag error says it all.
    const relevant = schemaErrors.filter((error) => !unknownTagPaths.some((path) => isWithin(error.keyPath, path)));
    context.errors.push(...relevant.map((error) => withCollectionQuoteHint(error, context.source)));
  }
  checkTemplates(value, context);
  checkArgsAndPatterns(value, context);
  checkTriggers(value, context, options.now);
  checkArtifacts(value, context);
  // The planner needs the normalised model: with a mistake elsewhere in the file, each pipeline that is right on its
  // own is planned all the same, so that its graph's errors (a cycle, an unknown need) come with the others at once.
  const planned = parsed.success ? parsed.data : pipelinesRightOnTheirOwn(value);
  if (planned !== undefined) checkGraphs(planned, value, context, options.maxTasks === undefined ? {} : { maxTasks: options.maxTasks });
  return { raw: value, model: parsed.success ? parsed.data : undefined, context };
}

/** The file without its top-level x- keys (EXTENSION_KEY): their anchors have done their work once the aliases are read. */
function withoutExtensionKeys(value: unknown): unknown {
  if (!isRecord(value) || !Object.keys(value).some((key) => EXTENSION_KEY.test(key))) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !EXTENSION_KEY.test(key)));
}

/** A file of the pipelines of `value` that pass the schema alone (the rest of the file left out); undefined when none does. */
function pipelinesRightOnTheirOwn(value: unknown): SpireFile | undefined {
  if (!isRecord(value) || !isRecord(value["pipelines"])) return undefined;
  let file: SpireFile | undefined;
  for (const [name, pipeline] of Object.entries(value["pipelines"])) {
    const alone = spireFileSchema.safeParse({ pipelines: { [name]: pipeline } });
    if (!alone.success) continue;
    if (file === undefined) file = alone.data;
    else file.pipelines[name] = alone.data.pipelines[name]!;
  }
  return file;
}

function isWithin(keyPath: string, outer: string): boolean {
  return outer !== "" && (keyPath === outer || keyPath.startsWith(`${outer}.`) || keyPath.startsWith(`${outer}[`));
}

function finish(analysis: Analysis, path: string, source: string): LoadResult {
  const all = sortErrors(analysis.context.errors);
  const errors = all.filter((error) => !isWarning(error));
  const warnings = all.filter(isWarning);
  if (errors.length > 0 || analysis.model === undefined) {
    return { ok: false, errors, warnings };
  }
  const translated = analysis.format === "spire" ? {} : { spire: analysis.raw };
  const map = analysis.translation?.map ?? analysis.context.map;
  const at = (keyPath: PathSegment[]): Place => ({ file: analysis.context.file, ...map.locate(keyPath).position, keyPath: formatKeyPath(keyPath) });
  return { ok: true, file: analysis.model, path, source, format: analysis.format, ...translated, warnings, at };
}

/**
 * The file's text, or an error when it cannot be read or is too big (checked
 * before reading it). Its hints name what the caller takes: -f FILE, which
 * has a default, or a path of its own (spire convert FILE), which has none.
 */
async function readLimited(path: string, givenAs: "-f" | "path"): Promise<string | DefinitionError> {
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
    if (!info.isFile()) return whole("not a file", givenAs === "-f" ? "pass the definitions file itself (default spire.yaml)" : "pass the definitions file itself");
    if (info.size > MAX_DEFINITIONS_BYTES) {
      return tooBig(path, info.size);
    }
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return whole("no such file", givenAs === "-f" ? "create it, or pass another file with -f" : "check its name, or pass another file");
    return whole(`cannot read the file: ${error instanceof Error ? error.message : String(error)}`);
  }
}
