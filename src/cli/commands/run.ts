/**
 * `spire run -f FILE [PIPELINE]`: runs a pipeline in this process and records
 * it in the data folder, drawing a live tree on a terminal and plain
 * timestamped lines elsewhere. Ctrl-C cancels the run and waits until every
 * process group is gone.
 */
import { causedBy } from "../caused-by.js";
import { MAX_SEED } from "../../engine/runs/seed.js";
import pc from "picocolors";
import { engineOnlyWarnings, printWarnings } from "../definition-warnings.js";
import { suggest } from "../../definitions/suggest.js";
import { availableParallelism } from "node:os";
import type { SpireClient } from "../../client/port.js";
import { parseResourceFlags, type ResourceFlags } from "../resource-options.js";
import { defaultNamespace, originOf } from "../../definitions/namespace.js";
import type { SpireFile } from "../../definitions/schema.js";
import type { DefinitionsFormat } from "../../definitions/compat/format.js";
import { CliError, EXIT } from "../errors.js";
import { displayName, loadFileOrFail } from "../context.js";
import { connect, type InProcessSettings } from "../connect.js";
import { parseMaxTasks } from "../max-tasks-option.js";
import { followRun } from "../follow.js";
import { pipelineNamed, resolvePipeline } from "../resolve.js";
import { requireEngine } from "./control.js";
import { DEFAULT_DEFINITIONS_FILES, findDefinitionsFile } from "../../definitions/script/files.js";

export interface RunOptions extends ResourceFlags {
  /** --allow-http-file: -f may be a plain http:// URL. */
  allowHttpFile?: boolean;
  file?: string;
  arg: string[];
  json?: boolean;
  parallelism?: string;
  detach?: boolean;
  partition?: string;
  /** --seed N: SPIRE_SEED of the run. */
  seed?: string;
  format?: DefinitionsFormat;
  maxTasks?: string;
  data?: string;
  engine?: string;
  /** An ad hoc job: */
  when?: string;
  ns?: string;
  /** The words after `--` (undefined without `--`), and every operand commander saw. */
  command?: string[];
  operands?: string[];
}


/**
 * `spire run PIPELINE` and `spire run -f FILE [PIPELINE]` (the file is
 * applied first) run on the engine when one answers, and in this process
 * when none does; either way the run is recorded and followed the same way.
 */
export async function runCommand(pipelineName: string | undefined, options: RunOptions): Promise<number> {
  if (options.command !== undefined) return runAdhoc(options.command, options);
  if ((options.operands?.length ?? 0) > 1) throw new CliError(`one pipeline at a time (got ${options.operands!.join(" ")})`, EXIT.usage, "To run a command, put it after --: spire run -- echo hello");
  if (options.when !== undefined) throw new CliError("--when is for a command: spire run --when SPEC -- COMMAND…", EXIT.usage, "A pipeline's schedule is its triggers (see: spire next PIPELINE).");
  const args = parseArgPairs(options.arg);
  const seed = parseSeed(options.seed);
  const client = await connect(options, inProcessSettings(options));
  try {
    if (options.detach) requireEngine(client.location, "--detach");
    sayEngineLimits(client.location, options);
    const pipeline = await pipelineToRun(client, pipelineName, options);
    const run = await client.startRun(pipeline.namespace, pipeline.name, { args, ...(options.partition ? { partition: options.partition } : {}), ...(seed !== undefined ? { seed } : {}), ...causedBy() });
    if (options.detach) {
      process.stdout.write(`${run.id}\n`);
      return EXIT.ok;
    }
    return await followRun(client, run, { json: options.json === true });
  } finally {
    await client.close();
  }
}

async function runAdhoc(words: string[], options: RunOptions): Promise<number> {
  if ((options.operands?.length ?? 0) > words.length) throw new CliError("give a pipeline or a command after --, not both", EXIT.usage, "For example: spire run backup, or: spire run -- echo hello");
  if (options.file !== undefined || options.arg.length > 0) throw new CliError("-f and --arg are for pipelines, not for a command after --", EXIT.usage, "An ad hoc command takes its arguments as words: spire run -- ./backup.sh --full");
  return (await import("./adhoc.js")).adhocCommand(words, options);
}

/**
 * The pipeline of a file (applied first, without touching the namespace's
 * other pipelines), or one the engine knows. With no engine running and no
 * -f, ./spire.yaml (else ./spire.config.ts, .mts, .mjs, .js) is the file when there is one, as it was before the
 * engine existed for this folder. With an engine running, that file is not
 * applied, but a NAME it defines means its pipeline: one of that name in
 * another namespace is not run in its place.
 */
async function pipelineToRun(client: SpireClient, given: string | undefined, options: RunOptions): Promise<{ namespace: string; name: string }> {
  const fileName = options.file ?? (client.location.kind === "in-process" ? findDefinitionsFile() : undefined);
  if (fileName !== undefined) {
    const { file, path, text, warnings, checked } = await loadFileOrFail(fileName, options.format, { maxTasks: parseMaxTasks(options.maxTasks), allowHttpFile: options.allowHttpFile === true });
    const origin = originOf(path);
    // NS/NAME (or --ns) with no -f and no engine: this folder's file when NS is its namespace, else a pipeline applied before.
    const named = given === undefined ? undefined : pipelineNamed(given, options.ns);
    const ours = named?.namespace !== undefined && named.namespace === namespaceOf(file, path);
    if (options.file === undefined && named?.namespace !== undefined && !ours) return resolvePipeline(client, given!, options.ns);
    printWarnings(warnings);
    const name = choosePipeline(file, ours ? named.name : given, displayName(fileName), fileName === "-" ? "-" : displayName(fileName));
    const change = await client.apply({ text, fileName: displayName(fileName), defaultNamespace: defaultNamespace(origin.host, origin.user, path), prune: false, dryRun: false, origin, ...(checked ? { checked } : {}) });
    // The file's were said above; what only the engine knows (an `after` pipeline it has not got) now.
    printWarnings(engineOnlyWarnings(warnings, change.warnings));
    if (client.location.kind === "engine") sayTriggersNowFire(file, change);
    return { namespace: change.namespace, name };
  }
  // A name given in full (NS/NAME, --ns) says which namespace: this folder's file has no say.
  const here = options.ns === undefined && !given?.includes("/") ? await folderDefinitions(options) : undefined;
  if (given === undefined) {
    const names = here ? Object.keys(here.file.pipelines) : [];
    throw new CliError(
      client.location.kind === "engine" ? "which pipeline?" : `which pipeline? (no engine is running, and there is no ${DEFAULT_DEFINITIONS_FILES.join(" or ")} here)`,
      EXIT.usage,
      here && names.length > 0
        ? `${here.fileName} here has ${names.join(", ")}: spire run -f ${here.fileName} ${names[0]} applies it to the engine and runs ${names[0]}; or run one the engine has: spire run NAME (see them with: spire ls)`
        : "For example: spire run backup (see them with: spire ls), or spire run -f FILE",
    );
  }
  if (here !== undefined && Object.hasOwn(here.file.pipelines, given)) return folderPipeline(client, here, given);
  return resolvePipeline(client, given, options.ns);
}

interface FolderDefinitions {
  fileName: string;
  file: SpireFile;
  /** The namespace the file applies to. */
  namespace: string;
}

/** This folder's definitions file (the one run -f would default to with no engine), read but not applied; undefined when there is none. */
async function folderDefinitions(options: RunOptions): Promise<FolderDefinitions | undefined> {
  const fileName = findDefinitionsFile();
  if (fileName === undefined) return undefined;
  const maxTasks = parseMaxTasks(options.maxTasks);
  let loaded;
  try {
    loaded = await loadFileOrFail(fileName, options.format, { maxTasks });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    // It says nothing it can be held to: the engine's pipelines are run as named.
    process.stderr.write(pc.yellow(`${fileName} here has errors, so the pipeline run is the engine's, not this file's (spire validate shows them)\n`));
    return undefined;
  }
  return { fileName, file: loaded.file, namespace: namespaceOf(loaded.file, loaded.path) };
}

/** The namespace a definitions file applies to: its own, or the one made from where it is. */
function namespaceOf(file: SpireFile, path: string): string {
  const origin = originOf(path);
  return file.namespace ?? defaultNamespace(origin.host, origin.user, path);
}

/** `name` as this folder's file defines it: run when the engine has it in the file's namespace, else refused rather than another namespace's. */
async function folderPipeline(client: SpireClient, here: FolderDefinitions, name: string): Promise<{ namespace: string; name: string }> {
  const { fileName, namespace } = here;
  if ((await client.listPipelines(namespace)).some((pipeline) => pipeline.name === name)) return { namespace, name };
  const elsewhere = (await client.listPipelines()).filter((pipeline) => pipeline.name === name).map((pipeline) => `${pipeline.namespace}/${pipeline.name}`);
  throw new CliError(
    `${fileName} here defines ${name} (${namespace}/${name}), which the running engine does not have${elsewhere.length > 0 ? `: its ${name} is ${elsewhere.join(", ")}` : ""}`,
    EXIT.usage,
    `To run this folder's, apply it first: spire apply, then spire run ${name} (or both at once: spire run -f ${fileName} ${name}).` +
      (elsewhere.length > 0 ? ` To run the engine's, name it in full: spire run ${elsewhere.join(" or spire run ")}` : ""),
  );
}

/**
 * `run -f` applies the file to the running engine, and from then on the
 * file's triggers fire there too: said when the apply made or changed a
 * pipeline with triggers (a file run from crontab would otherwise run twice,
 * once from cron and once from its own schedule, without a word).
 */
function sayTriggersNowFire(file: SpireFile, change: { namespace: string; created: string[]; changed: string[] }): void {
  const triggered = [...change.created, ...change.changed].filter((name) => (file.pipelines[name]?.triggers.length ?? 0) > 0);
  if (triggered.length === 0) return;
  const names = triggered.map((name) => `${change.namespace}/${name}`);
  process.stderr.write(
    pc.yellow(`applied to the running engine: the triggers of ${names.join(", ")} fire there from now on (spire pause ${names[0]} stops them; spire apply --prune removes what a file no longer has)\n`),
  );
}

/** An engine in this process runs with the run's own limits. */
/** Flags for a run in this process, given while an engine runs the run: said once, not dropped without a word. */
export function sayEngineLimits(location: SpireClient["location"], options: ResourceFlags & { parallelism?: string }): void {
  if (location.kind !== "engine") return;
  const given = (["parallelism", "cpus", "memory"] as const).filter((key) => options[key] !== undefined).map((key) => `--${key}`);
  if (given.length === 0) return;
  process.stderr.write(pc.yellow(`${given.join(", ")} ${given.length === 1 ? "is" : "are"} for a run in this process: the engine at ${location.url} runs this one, with its own limits (set when it starts: spire engine --parallelism N)\n`));
}

export function inProcessSettings(options: ResourceFlags & { parallelism?: string; maxTasks?: string }): InProcessSettings {
  const maxTasks = parseMaxTasks(options.maxTasks);
  return { parallelism: parseParallelism(options.parallelism), resources: parseResourceFlags(options), ...(maxTasks !== undefined ? { maxTasks } : {}) };
}

/** `asOption`: the file as -f takes it again in a hint (`-` for stdin). */
function choosePipeline(file: SpireFile, given: string | undefined, fileName: string, asOption: string): string {
  const names = Object.keys(file.pipelines);
  if (given !== undefined) {
    if (Object.hasOwn(file.pipelines, given)) return given;
    const close = suggest(given, names);
    throw new CliError(`${fileName} has no pipeline "${given}"`, EXIT.usage, close !== undefined ? `Did you mean ${close}? (its pipelines: ${names.join(", ")})` : `Its pipelines: ${names.join(", ") || "(none)"}`);
  }
  if (names.length === 1) return names[0]!;
  throw new CliError(
    names.length === 0 ? `${fileName} defines no pipelines` : `${fileName} has ${names.length} pipelines; say which one to run`,
    EXIT.usage,
    names.length ? `For example: spire run -f ${asOption} ${names[0]}   (pipelines: ${names.join(", ")})` : undefined,
  );
}

export function parseArgPairs(pairs: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new CliError(`--arg ${JSON.stringify(pair)} is not KEY=VALUE`, EXIT.usage, "For example: --arg target=/srv/backup");
    args[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return args;
}

/** `--seed N`: a whole number from 0 to MAX_SEED, or undefined when not given. */
export function parseSeed(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(seed <= MAX_SEED)) throw new CliError(`--seed must be a whole number from 0 to ${MAX_SEED}, got ${JSON.stringify(value)}`, EXIT.usage, "For example: --seed 42 (spire show RUN prints a run's seed)");
  return seed;
}

function parseParallelism(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new CliError(`--parallelism must be a whole number ≥ 1, got ${JSON.stringify(value)}`, EXIT.usage);
  return number;
}
