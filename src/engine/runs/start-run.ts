/**
 * Creating a run: arguments checked, the graph planned, env files and
 * secrets read, and the run recorded (with the definition it runs with)
 * before anything executes.
 */
import { newSeed } from "./seed.js";
import { resolve } from "node:path";
import { planOnce } from "../../plan/plan-cache.js";
import { rememberRunPlan } from "../reads/run-object.js";
import { resolveArgs } from "../../definitions/args.js";
import { loadEnvFile } from "../../definitions/dotenv.js";
import type { PipelineDef, TaskDef } from "../../definitions/schema.js";
import type { DefinitionSeen, EventRow, RunCreation, RunRow, Store, TriggerInfo } from "../../store/port.js";
import { newRunId } from "./ids.js";
import type { PreparedRun } from "./prepared-run.js";
import { UnstoredRun } from "./unstored-run.js";

export class RunRequestError extends Error {
  constructor(
    message: string,
    readonly details: string[],
    readonly code: "bad_args" | "bad_definition" | "env_file",
  ) {
    super(message);
  }
}

export interface RunRequest {
  namespace: string;
  pipelineName: string;
  pipeline: PipelineDef;
  args: Record<string, unknown>;
  trigger: TriggerInfo;
  baseDir: string;
  partition?: string | null;
  /** SPIRE_SEED of its attempts (default: chosen at random; a retry passes the run's). */
  seed?: number;
  /** The environment secrets are taken from (`secrets: [NAME]`). */
  secretSource: Record<string, string | undefined>;
  now?: number;
}

export async function createRun(store: Store, request: RunRequest): Promise<PreparedRun> {
  return (await storeNewRun(store, request)).prepared;
}

/** Who started a run, for the audit entry stored with it (its details name the run). */
export interface StartAudit {
  actor: string;
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

/** What is stored with a new run, and checked first (see RunCreation). */
export interface NewRunOptions {
  audit?: StartAudit;
  madeFrom?: DefinitionSeen;
  /**
   * With engines sharing the store: the run takes its place in its
   * pipeline's queue in the same transaction, if fewer than this many run
   * (RunQueues.placeUnder says when admission allows it), and starts in it
   * if it takes one (PreparedRun.unstored).
   */
  placeUnder?: number;
}

/**
 * createRun that also hands back the stored `run.created` event, with what
 * `options` adds in the same transaction. A run that takes its place as it
 * is stored is not stored here but by its first write, its start with it
 * (UnstoredRun): no `created` then, its first write tells it.
 */
export async function storeNewRun(store: Store, request: RunRequest, options: NewRunOptions = {}): Promise<{ prepared: PreparedRun; created?: EventRow }> {
  const { prepared, event } = await prepareRun(request);
  const creation = runCreation(prepared.run, options);
  if (options.placeUnder === undefined || store.shared === undefined) return { prepared, created: await store.createRun(prepared.run, event, creation) };
  prepared.unstored = new UnstoredRun(store.shared, (changes) => store.write(changes), prepared.run, event, creation, options.placeUnder);
  return { prepared };
}

export function runCreation(run: RunRow, options: NewRunOptions): RunCreation {
  const { audit, madeFrom } = options;
  return {
    ...(madeFrom ? { madeFrom } : {}),
    ...(audit ? { audit: { ts: run.created_at, actor: audit.actor, action: audit.action, target: audit.target, details: { run: run.id, ...audit.details } } } : {}),
  };
}

/** Everything createRun does but storing: a scheduled slot stores its run together with the slot. */
export async function prepareRun(request: RunRequest): Promise<{ prepared: PreparedRun; event: Omit<EventRow, "seq"> }> {
  const now = request.now ?? Date.now();
  const parts = await prepareParts(request.pipelineName, request.pipeline, request.args, request.baseDir, request.secretSource);
  const run = {
    id: newRunId(now),
    namespace: request.namespace,
    pipeline: request.pipelineName,
    state: "queued" as const,
    trigger: request.trigger,
    // Secret arguments are never stored in clear: the run keeps *** and the values live only in memory.
    args: maskedArgs(parts.args, parts.secretArgNames),
    definition: request.pipeline,
    partition: request.partition ?? null,
    seed: request.seed ?? newSeed(),
    reason: null,
    created_at: now,
    started_at: null,
    finished_at: null,
    warnings: 0,
    errors: 0,
    metrics: {},
  };
  rememberRunPlan(run.id, parts.plan);
  const event = { run_id: run.id, ts: now, type: "run.created", task_path: null, attempt: null, data: { namespace: run.namespace, pipeline: run.pipeline, trigger: request.trigger, args: maskedArgs(parts.args, parts.secretArgNames) } };
  return { prepared: { run, ...parts }, event };
}

/** A run already in the store (queued when the engine stopped), made ready to execute again. */
export async function prepareStoredRun(run: RunRow, baseDir: string, secretSource: Record<string, string | undefined>): Promise<PreparedRun> {
  const parts = await prepareParts(run.pipeline, run.definition as PipelineDef, run.args, baseDir, secretSource);
  return { run, ...parts };
}

async function prepareParts(name: string, pipeline: PipelineDef, given: Record<string, unknown>, baseDir: string, secretSource: Record<string, string | undefined>) {
  const args = resolveArgs(pipeline.args, given);
  if (!args.ok) throw new RunRequestError(`invalid arguments for ${name}`, args.errors, "bad_args");
  const planned = planOnce(name, pipeline);
  if (!planned.ok) {
    throw new RunRequestError(`${name} cannot be planned`, planned.errors.map((error) => error.message), "bad_definition");
  }
  const envFiles = await readEnvFiles(name, pipeline, baseDir);
  const secretEnv: Record<string, string> = {};
  const secretNames = new Set([...pipeline.secrets, ...taskSecretNames(pipeline.tasks)]);
  for (const secret of secretNames) {
    const value = secretSource[secret];
    if (value !== undefined) secretEnv[secret] = value;
  }
  const secretArgNames = Object.entries(pipeline.args)
    .filter(([, def]) => "secret" in def && def.secret)
    .map(([arg]) => arg);
  const secretArgs = secretArgNames.map((arg) => String(args.values[arg] ?? ""));
  // Every value; the executor's masker leaves out those too short to mask sensibly.
  const secretValues = [...new Set([...[...envFiles.values()].flatMap((file) => Object.values(file)), ...Object.values(secretEnv), ...secretArgs])];
  return { pipeline, plan: planned.plan, args: args.values, baseDir, envFiles, secretEnv, secretValues, secretArgNames };
}

async function readEnvFiles(name: string, pipeline: PipelineDef, baseDir: string): Promise<Map<string, Record<string, string>>> {
  const files = [pipeline.env_file, ...taskEnvFiles(pipeline.tasks)].filter((file): file is string => file !== undefined);
  const values = new Map<string, Record<string, string>>();
  for (const file of new Set(files)) {
    try {
      values.set(file, await loadEnvFile(resolve(baseDir, file)));
    } catch (error) {
      // The summary once, and each problem (a file, or one of its lines) in the details: told once each.
      throw new RunRequestError(`a run of ${name} cannot be made: its env_file ${file} cannot be used`, (error as Error).message.split("\n"), "env_file");
    }
  }
  return values;
}

function* walkTasks(tasks: Record<string, TaskDef>): Generator<TaskDef> {
  for (const task of Object.values(tasks)) {
    yield task;
    if (task.group) yield* walkTasks(task.group);
  }
}

function taskEnvFiles(tasks: Record<string, TaskDef>): string[] {
  return [...walkTasks(tasks)].map((task) => task.env_file).filter((file): file is string => file !== undefined);
}

function taskSecretNames(tasks: Record<string, TaskDef>): string[] {
  return [...walkTasks(tasks)].flatMap((task) => task.secrets ?? []);
}

function maskedArgs(values: Record<string, unknown>, secretNames: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, secretNames.includes(key) ? "***" : value]));
}
