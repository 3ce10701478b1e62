/**
 * `spire run -f FILE [PIPELINE]`: runs a pipeline in this process and records
 * it in the data folder, drawing a live tree on a terminal and plain
 * timestamped lines elsewhere. Ctrl-C cancels the run and waits until every
 * process group is gone.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname } from "node:path";
import { LocalExecutor } from "../../exec/local-executor.js";
import { createRun, RunRequestError } from "../../engine/start-run.js";
import { RunController, type RunChange } from "../../engine/run-controller.js";
import { toRunObject } from "../../engine/run-object.js";
import { Slots } from "../../engine/slots.js";
import { parseResourceFlags, type ResourceFlags } from "../resource-options.js";
import { definitionDigest } from "../../engine/digest.js";
import { defaultNamespace, originOf, type Origin } from "../../spec/namespace.js";
import type { SpireFile } from "../../spec/schema.js";
import type { DefinitionsFormat } from "../../spec/compat/format.js";
import { CliError, EXIT } from "../errors.js";
import { loadFileOrFail, openStore } from "../context.js";
import { parseMaxTasks } from "../max-tasks-option.js";
import { createRenderer, type Renderer } from "../render/run-renderer.js";
import { EngineClient, engineAnswers, findEngine } from "../client.js";
import { followRun } from "../follow.js";
import { resolvePipeline } from "./control.js";
import type { RunObject } from "../../engine/run-object.js";

export interface RunOptions extends ResourceFlags {
  file?: string;
  arg: string[];
  json?: boolean;
  parallelism?: string;
  detach?: boolean;
  partition?: string;
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

const DEFAULT_FILE = "spire.yaml";

/**
 * `spire run PIPELINE` runs on the engine; `spire run -f FILE [PIPELINE]` too
 * when an engine answers (the file is applied first), and in this process
 * when none does.
 */
export async function runCommand(pipelineName: string | undefined, options: RunOptions): Promise<number> {
  if (options.command !== undefined) return runAdhoc(options.command, options);
  if ((options.operands?.length ?? 0) > 1) throw new CliError(`one pipeline at a time (got ${options.operands!.join(" ")})`, EXIT.usage, "To run a command, put it after --: spire run -- echo hello");
  if (options.when !== undefined) throw new CliError("--when is for a command: spire run --when SPEC -- COMMAND…", EXIT.usage, "A pipeline's schedule is its triggers (see: spire next PIPELINE).");
  const args = parseArgPairs(options.arg);
  const target = findEngine(options);
  const engineUp = target !== undefined && (await engineAnswers(target));
  if (engineUp) return runOnEngine(new EngineClient(target), pipelineName, args, options);
  if (options.detach) throw new CliError("--detach needs a running engine", EXIT.unreachable, "Start one with: spire engine");
  if (options.file === undefined && pipelineName !== undefined && !existsSync(DEFAULT_FILE)) {
    throw new CliError(`no engine is running, and there is no ${DEFAULT_FILE} here to run ${pipelineName} from`, EXIT.unreachable, "Start the engine (spire engine), or give the file: spire run -f FILE PIPELINE");
  }
  return runLocally(pipelineName, args, { ...options, file: options.file ?? DEFAULT_FILE });
}

async function runAdhoc(words: string[], options: RunOptions): Promise<number> {
  if ((options.operands?.length ?? 0) > words.length) throw new CliError("give a pipeline or a command after --, not both", EXIT.usage, "For example: spire run backup, or: spire run -- echo hello");
  if (options.file !== undefined || options.arg.length > 0) throw new CliError("-f and --arg are for pipelines, not for a command after --", EXIT.usage, "An ad hoc command takes its arguments as words: spire run -- ./backup.sh --full");
  return (await import("./adhoc.js")).adhocCommand(words, options);
}

async function runOnEngine(client: EngineClient, pipelineName: string | undefined, args: Record<string, string>, options: RunOptions): Promise<number> {
  let namespace: string | undefined;
  let name = pipelineName;
  if (options.file !== undefined) {
    const { file, path, text } = await loadFileOrFail(options.file, options.format, parseMaxTasks(options.maxTasks));
    name = choosePipeline(file, pipelineName, options.file);
    const origin = originOf(path);
    const change = await client.call<{ namespace: string }>("POST", "/apply", {
      text,
      file_name: options.file,
      default_namespace: defaultNamespace(origin.host, origin.user, path),
      prune: false,
      dry_run: false,
      origin,
    });
    namespace = change.namespace;
  }
  if (name === undefined) throw new CliError("which pipeline?", EXIT.usage, "For example: spire run backup   (see them with: spire ls)");
  const pipeline = namespace ? { namespace, name } : await resolvePipeline(client, name, options.ns);
  const run = await client.call<RunObject>("POST", `/pipelines/${encodeURIComponent(pipeline.namespace)}/${encodeURIComponent(pipeline.name)}/runs`, {
    args,
    ...(options.partition ? { partition: options.partition } : {}),
  });
  if (options.detach) {
    process.stdout.write(`${run.id}\n`);
    return EXIT.ok;
  }
  return followRun(client, run, { json: options.json === true });
}

async function runLocally(pipelineName: string | undefined, args: Record<string, string>, options: RunOptions & { file: string }): Promise<number> {
  const { file, path } = await loadFileOrFail(options.file, options.format, parseMaxTasks(options.maxTasks));
  const name = choosePipeline(file, pipelineName, options.file);
  const origin = originOf(path);
  const namespace = file.namespace ?? defaultNamespace(origin.host, origin.user, path);
  return runInProcess({ file, name, namespace, origin, baseDir: dirname(path) }, args, options);
}

/** A pipeline to run in this process: from a file, or made by the CLI (an ad hoc job). */
export interface LocalTarget {
  file: SpireFile;
  name: string;
  namespace: string;
  origin: Origin;
  /** Where relative paths of the definition start. */
  baseDir: string;
  /** How the run is shown, log lines included (default: the tree, plain lines or JSON, as for a file, without log lines). */
  renderer?: Renderer;
}

/** Records the namespace and pipeline in the data folder, then runs it here and records the run. */
export async function runInProcess(target: LocalTarget, args: Record<string, string>, options: RunOptions): Promise<number> {
  const parallelism = parseParallelism(options.parallelism);
  const resources = parseResourceFlags(options);
  const { file, name, namespace, origin, baseDir } = target;
  const pipeline = file.pipelines[name]!;
  const { store, dir } = await openStore(options.data);
  try {
    const now = Date.now();
    const existing = await store.getNamespace(namespace);
    await store.upsertNamespace({ name: namespace, origin: { ...origin, applied_at: now, author: typeof file.metadata?.author === "string" ? file.metadata.author : null }, metadata: file.metadata ?? {}, created_at: existing?.created_at ?? now, updated_at: now });
    const known = await store.getPipeline(namespace, name);
    await store.upsertPipeline({ namespace, name, definition: pipeline, digest: definitionDigest(pipeline), paused: known?.paused ?? false, created_at: known?.created_at ?? now, updated_at: now });

    let prepared;
    try {
      prepared = await createRun(store, { namespace, pipelineName: name, pipeline, args, trigger: { kind: "manual", scheduled_at: null }, baseDir, secretSource: process.env });
    } catch (error) {
      if (error instanceof RunRequestError) throw new CliError(`${error.message}:\n${error.details.map((line) => `  ${line}`).join("\n")}`, EXIT.usage);
      throw error;
    }
    // Task locks take units of the capacities this file declares.
    prepared.lockCapacities = file.locks;

    const executor = new LocalExecutor();
    const renderer = target.renderer ?? createRenderer({ json: options.json ?? false, tty: process.stdout.isTTY === true, plan: prepared.plan, run: prepared.run });
    const controller = new RunController(
      { store, executor, dataDir: dir, slots: new Slots(parallelism, { resources }), nodePath: process.execPath, baseEnv: process.env },
      prepared,
      (change: RunChange) => renderer.onChange(change),
      { streamLines: target.renderer !== undefined },
    );
    let interrupted = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (!interrupted) renderer.note(`${signal === "SIGINT" ? "Ctrl-C" : signal}: canceling the run, waiting for its tasks to stop…`);
      interrupted = true;
      controller.cancel(signal === "SIGINT" ? "interrupted (Ctrl-C)" : `interrupted (${signal})`);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    let finalRow;
    try {
      finalRow = await controller.start();
    } finally {
      // Whatever happened, no process group of this run outlives the command.
      await executor.shutdown();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    const stored = await store.getRun(finalRow.id);
    const object = toRunObject(stored?.run ?? finalRow, stored?.tasks ?? [], prepared.plan);
    await renderer.finish(object, stored?.tasks ?? []);
    if (interrupted) return EXIT.interrupted;
    return object.state === "succeeded" ? EXIT.ok : EXIT.runFailed;
  } finally {
    await store.close();
  }
}

function choosePipeline(file: SpireFile, given: string | undefined, fileName: string): string {
  const names = Object.keys(file.pipelines);
  if (given !== undefined) {
    if (Object.hasOwn(file.pipelines, given)) return given;
    throw new CliError(`${fileName} has no pipeline "${given}"`, EXIT.usage, `Its pipelines: ${names.join(", ") || "(none)"}`);
  }
  if (names.length === 1) return names[0]!;
  throw new CliError(
    names.length === 0 ? `${fileName} defines no pipelines` : `${fileName} has ${names.length} pipelines; say which one to run`,
    EXIT.usage,
    names.length ? `For example: spire run -f ${fileName} ${names[0]}   (pipelines: ${names.join(", ")})` : undefined,
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

function parseParallelism(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new CliError(`--parallelism must be a whole number ≥ 1, got ${JSON.stringify(value)}`, EXIT.usage);
  return number;
}
