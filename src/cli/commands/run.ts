/**
 * `spire run -f FILE [PIPELINE]`: runs a pipeline in this process and records
 * it in the data folder, drawing a live tree on a terminal and plain
 * timestamped lines elsewhere. Ctrl-C cancels the run and waits until every
 * process group is gone.
 */
import { availableParallelism } from "node:os";
import { dirname } from "node:path";
import { LocalExecutor } from "../../exec/local-executor.js";
import { createRun, RunRequestError } from "../../engine/start-run.js";
import { RunController, type RunChange } from "../../engine/run-controller.js";
import { toRunObject } from "../../engine/run-object.js";
import { Slots } from "../../engine/slots.js";
import { definitionDigest } from "../../engine/digest.js";
import { defaultNamespace, originOf } from "../../spec/namespace.js";
import type { SpireFile } from "../../spec/schema.js";
import { CliError, EXIT } from "../errors.js";
import { loadFileOrFail, openStore } from "../context.js";
import { createRenderer } from "../render/run-renderer.js";

export interface RunOptions {
  file: string;
  arg: string[];
  json?: boolean;
  parallelism?: string;
  data?: string;
}

export async function runCommand(pipelineName: string | undefined, options: RunOptions): Promise<number> {
  const args = parseArgPairs(options.arg);
  const parallelism = parseParallelism(options.parallelism);
  const { file, path } = await loadFileOrFail(options.file);
  const name = choosePipeline(file, pipelineName, options.file);
  const pipeline = file.pipelines[name]!;
  const { store, dir } = await openStore(options.data);
  try {
    const origin = originOf(path);
    const namespace = file.namespace ?? defaultNamespace(origin.host, origin.user, path);
    const now = Date.now();
    const existing = await store.getNamespace(namespace);
    await store.upsertNamespace({ name: namespace, origin: { ...origin, applied_at: now, author: typeof file.metadata?.author === "string" ? file.metadata.author : null }, metadata: file.metadata ?? {}, created_at: existing?.created_at ?? now, updated_at: now });
    const known = await store.getPipeline(namespace, name);
    await store.upsertPipeline({ namespace, name, definition: pipeline, digest: definitionDigest(pipeline), paused: known?.paused ?? false, created_at: known?.created_at ?? now, updated_at: now });

    let prepared;
    try {
      prepared = await createRun(store, { namespace, pipelineName: name, pipeline, args, trigger: { kind: "manual", scheduled_at: null }, baseDir: dirname(path), secretSource: process.env });
    } catch (error) {
      if (error instanceof RunRequestError) throw new CliError(`${error.message}:\n${error.details.map((line) => `  ${line}`).join("\n")}`, EXIT.usage);
      throw error;
    }

    const executor = new LocalExecutor();
    const renderer = createRenderer({ json: options.json ?? false, tty: process.stdout.isTTY === true, plan: prepared.plan, run: prepared.run });
    const controller = new RunController(
      { store, executor, dataDir: dir, slots: new Slots(parallelism), nodePath: process.execPath, baseEnv: process.env },
      prepared,
      (change: RunChange) => renderer.onChange(change),
    );
    let interrupted = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (!interrupted) renderer.note(`${signal === "SIGINT" ? "Ctrl-C" : signal}: canceling the run, waiting for its tasks to stop…`);
      interrupted = true;
      controller.cancel(signal === "SIGINT" ? "interrupted (Ctrl-C)" : `interrupted (${signal})`);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const finalRow = await controller.start();
    await executor.shutdown();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
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
