/**
 * What Store.write changes, as parts of the one statement a batch of writes
 * is (batch-write.ts): the runs' patches, the attempts' rows, their messages
 * and the pending followers. Every part takes its rows as arrays, so that
 * the statement's text depends only on which parts and columns a batch has.
 *
 * The parts of one statement all see the same snapshot and may not touch a
 * row twice, so the changes are merged first: each run's patches into one
 * (later fields win), each attempt's rows into its last (with the last
 * messages any of them carried). The outcome is the one the changes would
 * have had applied one after another.
 */
import type { RunRow, StateChange, TaskRunRow } from "../../port.js";
import type { TaskMessage } from "../../../exec/port.js";
import { toJson } from "../../columns.js";
import { RUN_COLUMNS } from "../../rows.js";
import type { Params } from "./params.js";
import { RUN_INSERT_COLUMNS, triggerKind } from "./runs.js";

type RunPatch = Partial<Omit<RunRow, "id">> & { id: string };

interface Merged {
  patches: Map<string, RunPatch>;
  tasks: Map<string, TaskRunRow>;
  messages: Map<string, { task: TaskRunRow; messages: TaskMessage[] }>;
  pending: Set<string>;
}

function merge(changes: readonly StateChange[]): Merged {
  const merged: Merged = { patches: new Map(), tasks: new Map(), messages: new Map(), pending: new Set() };
  for (const change of changes) {
    if (change.run) merged.patches.set(change.run.id, { ...merged.patches.get(change.run.id), ...withoutUndefined(change.run) });
    if (change.task) {
      const key = `${change.task.run_id}\u0000${change.task.path}\u0000${change.task.attempt}`;
      merged.tasks.set(key, change.task);
      if (change.task.messages !== undefined && change.task.messages.length > 0) merged.messages.set(key, { task: change.task, messages: change.task.messages });
    }
    if (change.awaitsFollowers) merged.pending.add(change.event.run_id);
  }
  return merged;
}

/** A field given as undefined is not set: it must not undo an earlier patch's value. */
function withoutUndefined(patch: RunPatch): RunPatch {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as RunPatch;
}

/** The fields a patch may set, each with its column, its SQL type and its bit in a patch's mask of the fields it sets. */
const PATCH_FIELDS = Object.entries(RUN_COLUMNS).map(([field, spec], index) => ({
  field,
  ...spec,
  type: RUN_INSERT_COLUMNS.find(([column]) => column === spec.column)![1],
  bit: 1 << index,
}));
const TRIGGER_BIT = PATCH_FIELDS.find(({ field }) => field === "trigger")!.bit;

// Each attempt's row is replaced whole by a later write of the same attempt.
const TASK_COLUMNS: [string, string, (task: TaskRunRow) => unknown][] = [
  ["run_id", "text", (task) => task.run_id],
  ["path", "text", (task) => task.path],
  ["attempt", "integer", (task) => task.attempt],
  ["state", "text", (task) => task.state],
  ["exit_code", "integer", (task) => task.exit_code ?? null],
  ["signal", "text", (task) => task.signal ?? null],
  ["reason", "text", (task) => task.reason ?? null],
  ["pid", "integer", (task) => task.pid ?? null],
  ["started_at", "bigint", (task) => task.started_at ?? null],
  ["finished_at", "bigint", (task) => task.finished_at ?? null],
  ["cpu_ms", "bigint", (task) => task.cpu_ms ?? null],
  ["peak_rss_bytes", "bigint", (task) => task.peak_rss_bytes ?? null],
  ["warnings", "integer", (task) => task.warnings],
  ["errors", "integer", (task) => task.errors],
  ["metrics", "text", (task) => toJson(task.metrics)],
  ["outputs", "text", (task) => toJson(task.outputs)],
  ["log_file", "text", (task) => task.log_file ?? null],
  ["worker", "text", (task) => task.worker ?? null],
];
const TASK_NAMES = TASK_COLUMNS.map(([column]) => column);

/**
 * The parts of a write statement that store the changes (batch-write.ts
 * composes them): only those that have rows, and a patch sets only the
 * columns some patch of the batch sets, so that the statement holds no work
 * for nothing (a few shapes of it, each prepared once). Every patched run
 * must exist, or nothing at all is written: `go` is that condition (each
 * part of the statement waits on it), `found` the part that decides it.
 */
export function changeParts(params: Params, changes: readonly StateChange[]): { go: string; parts: string[]; writes: string[] } {
  const { patches, tasks, messages, pending } = merge(changes);
  const parts: string[] = [];
  const writes: string[] = [];
  const go = patches.size > 0 ? "(SELECT ok FROM found)" : "true";
  const add = (name: string, part: string) => {
    parts.push(`${name} AS (${part}\n  RETURNING 1)`);
    writes.push(name);
  };
  if (patches.size > 0) {
    const patchList = [...patches.values()];
    const fields = PATCH_FIELDS.filter(({ field }) => patchList.some((patch) => field in patch));
    const ids = params.add(patchList.map((patch) => patch.id));
    parts.push(`found AS (SELECT count(*) = cardinality(${ids}::text[]) AS ok FROM runs WHERE id = ANY(${ids}::text[]))`);
    const masks = params.add(patchList.map((patch) => fields.reduce((mask, { field, bit }) => (field in patch ? mask | bit : mask), 0)));
    const values = fields.map(({ field, encode, type }) => `${params.add(patchList.map((patch) => (field in patch ? encode(patch[field as keyof RunPatch]) : null)))}::${type}[]`);
    const sets = fields.map(({ field, column, bit }) => `${column} = CASE WHEN p.mask & ${bit} <> 0 THEN p."${field}" ELSE r.${column} END`);
    if (fields.some(({ bit }) => bit === TRIGGER_BIT)) {
      values.push(`${params.add(patchList.map((patch) => ("trigger" in patch ? triggerKind(patch.trigger) : null)))}::text[]`);
      sets.push(`trigger_kind = CASE WHEN p.mask & ${TRIGGER_BIT} <> 0 THEN p.trigger_kind ELSE r.trigger_kind END`);
    }
    const names = [...fields.map(({ field }) => `"${field}"`), ...(values.length > fields.length ? ["trigger_kind"] : [])];
    // A patch that sets nothing only asks that its run exists (`go`).
    if (sets.length > 0) {
      add("patched", `UPDATE runs AS r SET ${sets.join(", ")}
  FROM unnest(${ids}::text[], ${masks}::integer[], ${values.join(", ")}) AS p (id, mask, ${names.join(", ")})
  WHERE r.id = p.id AND ${go}`);
    }
  }
  if (tasks.size > 0) add("attempts", attemptsInsert(params, [...tasks.values()], go));
  if (messages.size > 0) {
    const rows = [...messages.values()];
    add("texts", `INSERT INTO task_messages (run_id, path, attempt, messages)
  SELECT * FROM unnest(${params.add(rows.map(({ task }) => task.run_id))}::text[], ${params.add(rows.map(({ task }) => task.path))}::text[],
    ${params.add(rows.map(({ task }) => task.attempt))}::integer[], ${params.add(rows.map((row) => JSON.stringify(row.messages)))}::text[]) WHERE ${go}
  ON CONFLICT (run_id, path, attempt) DO UPDATE SET messages = excluded.messages`);
  }
  if (pending.size > 0) {
    add("awaiting", `INSERT INTO after_pending (run_id) SELECT id FROM unnest(${params.add([...pending])}::text[]) AS u (id) WHERE ${go} ON CONFLICT DO NOTHING`);
  }
  return { go, parts, writes };
}

/** The attempts' rows written whole (a later write of an attempt replaces its row), those of `where` only (over the rows as `t`). */
export function attemptsInsert(params: Params, rows: readonly TaskRunRow[], where: string): string {
  return `INSERT INTO task_runs (${TASK_NAMES.join(", ")})
  SELECT * FROM unnest(${TASK_COLUMNS.map(([, type, value]) => `${params.add(rows.map(value))}::${type}[]`).join(", ")}) AS t (${TASK_NAMES.join(", ")}) WHERE ${where}
  ON CONFLICT (run_id, path, attempt) DO UPDATE SET ${TASK_NAMES.slice(3).map((column) => `${column} = excluded.${column}`).join(", ")}`;
}

/**
 * Whether `changes` are a new run's start alone, which its creation's
 * statement can store (batch-write.ts): its own events, its new state and
 * start time, its attempts' rows; no messages, no other run, no followers.
 */
export function isNewRunStart(runId: string, changes: readonly StateChange[]): boolean {
  return changes.some((change) => change.run?.state !== undefined) && changes.every(
    (change) =>
      change.event.run_id === runId &&
      !change.awaitsFollowers &&
      (change.run === undefined || (change.run.id === runId && Object.keys(change.run).every((field) => field === "id" || field === "state" || field === "started_at"))) &&
      (change.task === undefined || (change.task.run_id === runId && (change.task.messages === undefined || change.task.messages.length === 0))),
  );
}

/** A new run's start (isNewRunStart) as one patch and its attempts' rows. */
export function newRunStart(changes: readonly StateChange[]): { state: RunRow["state"]; startedAt: number | null; attempts: TaskRunRow[] } {
  const { patches, tasks } = merge(changes);
  const patch = [...patches.values()][0]!;
  return { state: patch.state!, startedAt: patch.started_at ?? null, attempts: [...tasks.values()] };
}
