/**
 * From a planned node to the LaunchSpec of one attempt: templates rendered,
 * the environment of SPEC §3, the command line of its runner, its files.
 * Pure apart from the runner lookup; the controller does the I/O.
 */
import { seedOf } from "./seed.js";
import { isAbsolute, join, resolve } from "node:path";
import type { PlannedNode } from "../../plan/types.js";
import type { HttpRequestSpec, LaunchSpec, Machine } from "../../exec/port.js";
import { thisHost } from "./machine.js";
import { commandFor } from "../../runners/runners.js";
import { renderTemplate, type Placer, type TemplateContext } from "../../definitions/templates.js";
import { inPath, inUrl, type Refusals } from "../../definitions/template-places.js";
import { guardedArgv, type OptionGuardContext } from "./option-guard.js";
import { splitWords } from "../../definitions/words.js";
import type { TaskDef } from "../../definitions/schema.js";
import { buildTaskEnv } from "./task-env.js";
import { buildSqlSpec } from "./sql-spec.js";
import { missingTool } from "./runner-help.js";
import type { PreparedRun } from "./prepared-run.js";

export const DEFAULT_KILL_GRACE_MS = 10_000;

export interface AttemptFiles {
  logFile: string;
  outputFile: string;
  artifactsDir: string;
}

/**
 * An attempt's files sit side by side in its run's `tasks` folder (`tasks/build.1.log`; a group's
 * tasks in a folder of the group's), not in a folder per task: making a folder per task cost
 * more than anything else the engine does for a task that prints nothing (bench/dag).
 */
export function attemptFiles(dataDir: string, runId: string, path: string, attempt: number): AttemptFiles {
  const base = join(dataDir, "runs", runId, "tasks", `${path}.${attempt}`);
  return {
    logFile: `${base}.log`,
    outputFile: `${base}.out`,
    artifactsDir: join(dataDir, "runs", runId, "artifacts", path),
  };
}

/** The executor's name for one attempt; a supervisor that outlives the engine knows it by this after a restart. */
export function attemptId(runId: string, path: string, attempt: number): string {
  return `${runId}:${path}:${attempt}`;
}

export interface AttemptInput {
  prepared: PreparedRun;
  node: PlannedNode;
  attempt: number;
  dataDir: string;
  /** Where it runs (default: this machine, as the engine's host name names it). */
  machine?: Machine;
  nodePath: string;
  baseEnv: Record<string, string | undefined>;
  /** Outputs of finished tasks, by path. */
  outputs: ReadonlyMap<string, Record<string, string>>;
}

export type AttemptBuild = { ok: true; spec: LaunchSpec } | { ok: false; reason: string };

export function buildAttempt(input: AttemptInput): AttemptBuild {
  const { prepared, node, attempt } = input;
  const { run } = prepared;
  const files = attemptFiles(input.dataDir, run.id, node.path, attempt);
  const context: TemplateContext = {
    args: prepared.args,
    taskOutputs: (name) => {
      const path = node.taskRefs[name];
      return path === undefined ? undefined : input.outputs.get(path);
    },
    run: {
      id: run.id,
      namespace: run.namespace,
      pipeline: run.pipeline,
      scheduled_at: scheduledAt(prepared),
      trigger: run.trigger.kind,
    },
    matrix: node.matrix,
  };
  const render = (text: string, place?: Placer) => renderTemplate(text, context, place).value;

  const refusals: Refusals = [];
  const def = renderDef(node.def, render, { declared: prepared.pipeline.args, values: prepared.args, refusals });
  if (refusals.length > 0) return { ok: false, reason: `${refusals.join("; ")}: the task was not run` };
  // On a worker, a relative cwd (or none) is taken from its work folder: the definitions' folder is on the engine's machine.
  const baseDir = input.machine?.workDir ?? prepared.baseDir;
  const cwd = def.cwd === undefined ? baseDir : isAbsolute(def.cwd) ? def.cwd : resolve(baseDir, def.cwd);
  const sql = def.sql ? buildSqlSpec(def.sql, prepared.baseDir, baseDir) : undefined;
  if (sql?.ok === false) return sql;
  const command = def.http ? { argv: [def.http.method, def.http.url] } : sql ? { argv: sql.argv } : commandFor(def, { cwd, nodePath: input.nodePath, id: attemptId(run.id, node.path, attempt) });
  if ("error" in command) return { ok: false, reason: command.error };

  const planned: Record<string, string> = {};
  for (const [key, value] of Object.entries(node.env)) planned[key] = render(value);
  const env = buildTaskEnv({
    base: input.baseEnv,
    envFiles: {
      ...(prepared.pipeline.env_file === undefined ? {} : prepared.envFiles.get(prepared.pipeline.env_file)),
      ...(node.def.env_file === undefined ? {} : prepared.envFiles.get(node.def.env_file)),
    },
    planned,
    secrets: prepared.secretEnv,
    runId: run.id,
    namespace: run.namespace,
    pipeline: run.pipeline,
    taskPath: node.path,
    attempt,
    seed: seedOf(run),
    arrayIndex: node.arrayIndex,
    matrix: node.matrix,
    scheduledAt: scheduledAt(prepared),
    trigger: run.trigger.kind,
    args: prepared.args,
    outputFile: files.outputFile,
    artifactsDir: files.artifactsDir,
    worker: input.machine?.name ?? thisHost(),
  });
  // A worker adds its own environment (PATH among it) when it launches: only this machine's tools can be looked for here.
  const missing = input.machine?.local === false ? undefined : missingTool(def, command.argv[0], env.PATH);
  if (missing !== undefined) return { ok: false, reason: missing };
  const spec: LaunchSpec = {
    id: attemptId(run.id, node.path, attempt),
    argv: command.argv,
    cwd,
    env,
    logFile: files.logFile,
    outputFile: files.outputFile,
    killGraceMs: def.kill_grace ?? DEFAULT_KILL_GRACE_MS,
    secrets: sql ? [...prepared.secretValues, ...sql.secrets] : prepared.secretValues,
  };
  if (def.http) spec.http = httpRequest(def.http);
  if (sql) spec.sql = sql.spec;
  const timeout = Math.min(def.timeout ?? Infinity, def.http?.timeout ?? Infinity);
  if (timeout !== Infinity) spec.timeoutMs = timeout;
  if (def.warn_pattern !== undefined) spec.warnPattern = def.warn_pattern;
  if (def.error_pattern !== undefined) spec.errorPattern = def.error_pattern;
  if (def.parser !== undefined) spec.parser = def.parser;
  if (def.limits?.memory !== undefined || def.limits?.cpu_time !== undefined) {
    spec.limits = { ...(def.limits.memory !== undefined ? { memoryBytes: def.limits.memory } : {}), ...(def.limits.cpu_time !== undefined ? { cpuTimeMs: def.limits.cpu_time } : {}) };
  }
  return { ok: true, spec };
}

function httpRequest(http: NonNullable<TaskDef["http"]>): HttpRequestSpec {
  const expect = typeof http.expect === "number" ? { status: http.expect } : (http.expect ?? {});
  const status = expect.status === undefined ? [] : Array.isArray(expect.status) ? expect.status : [expect.status];
  return {
    method: http.method,
    url: http.url,
    headers: http.headers as Record<string, string>,
    ...(http.body !== undefined ? { body: http.body } : {}),
    expectStatus: status,
    ...(expect.body !== undefined ? { expectBody: expect.body } : {}),
  };
}

/** Made once per run: every attempt of a run of 1,000 tasks would otherwise format the same time twice. */
const scheduledTimes = new WeakMap<PreparedRun["run"], string>();

function scheduledAt({ run }: PreparedRun): string {
  let time = scheduledTimes.get(run);
  if (time === undefined) scheduledTimes.set(run, (time = run.trigger.scheduled_at ?? new Date(run.created_at).toISOString()));
  return time;
}

/**
 * The fields where templates are allowed (SPEC §2): exec items, cwd, docker, http, sql's url and params. env is done separately.
 * Paths and URLs place values so that they cannot leave what the definition names (template-places.ts).
 */
function renderDef(def: TaskDef, render: (text: string, place?: Placer) => string, guard: OptionGuardContext): TaskDef {
  const { refusals } = guard;
  const out: TaskDef = { ...def };
  // An exec task's argv, or a script's (the script reads its arguments as it will): no value from outside as an option.
  const renderWord = guardedArgv(def.exec ? [...def.exec, ...(def.args ?? [])] : def.script !== undefined ? [def.script, ...(def.args ?? [])] : [], def.exec ? "exec" : "args", render, guard);
  if (def.exec) out.exec = def.exec.map((item, index) => renderWord(item, index));
  const argsFrom = def.exec ? def.exec.length : def.script !== undefined ? 1 : undefined;
  if (def.args) out.args = def.args.map((item, index) => (argsFrom !== undefined ? renderWord(item, argsFrom + index) : render(item)));
  if (def.cwd !== undefined) out.cwd = render(def.cwd, inPath("cwd", refusals));
  if (def.docker) {
    out.docker = {
      ...def.docker,
      image: render(def.docker.image),
      volumes: def.docker.volumes.map((volume) => render(volume, inPath("a docker volume", refusals, { volume: true }))),
      env: Object.fromEntries(Object.entries(def.docker.env as Record<string, string>).map(([key, value]) => [key, render(value)])),
    };
    if (def.docker.workdir !== undefined) out.docker.workdir = render(def.docker.workdir, inPath("docker.workdir", refusals));
    // A command given as one string is split before its templates are rendered: a value stays one word.
    if (def.docker.command !== undefined) {
      const words = Array.isArray(def.docker.command) ? def.docker.command : splitWords(def.docker.command);
      const renderCommandWord = guardedArgv(words, "docker.command", render, guard);
      out.docker.command = words.map((word, index) => renderCommandWord(word, index));
    }
  }
  if (def.http) {
    out.http = {
      ...def.http,
      url: render(def.http.url, inUrl("the URL", refusals)),
      headers: Object.fromEntries(Object.entries(def.http.headers as Record<string, string>).map(([key, value]) => [key, render(value)])),
    };
    if (def.http.body !== undefined) out.http.body = render(def.http.body);
  }
  if (def.sql) {
    // A SQLite URL is a path: a value may not climb out of the folder it names; any other is a URL.
    const place = def.sql.url.startsWith("sqlite:") ? inPath("the SQLite path", refusals) : inUrl("the URL", refusals);
    const params = Object.entries(def.sql.params).map(([key, value]) => [key, typeof value === "string" ? render(value) : value]);
    out.sql = { ...def.sql, url: render(def.sql.url, place), params: Object.fromEntries(params) };
  }
  return out;
}
