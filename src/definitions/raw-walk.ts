/**
 * Walks the raw data of a definitions file (before the schema has passed),
 * tolerating any shape, so semantic checks can run alongside schema errors
 * and report everything at once. Only own properties are read.
 */
import type { PathSegment } from "./errors.js";
import { isRecord } from "./is-record.js";

export interface RawPipeline {
  name: string;
  path: PathSegment[];
  pipeline: Record<string, unknown>;
}

export interface RawTask {
  name: string;
  path: PathSegment[];
  task: Record<string, unknown>;
  /** Matrix keys of this task and the tasks enclosing it. */
  matrixKeys: Set<string>;
}

export function entriesOf(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}

export function rawPipelines(root: unknown): RawPipeline[] {
  const pipelines = isRecord(root) ? root["pipelines"] : undefined;
  const found: RawPipeline[] = [];
  for (const [name, pipeline] of entriesOf(pipelines)) {
    if (isRecord(pipeline)) found.push({ name, path: ["pipelines", name], pipeline });
  }
  return found;
}

/** Every task of a pipeline, groups included, depth first in file order. */
export function rawTasks(pipeline: RawPipeline): RawTask[] {
  const found: RawTask[] = [];
  const visit = (tasks: unknown, path: PathSegment[], outerMatrix: Set<string>): void => {
    for (const [name, task] of entriesOf(tasks)) {
      if (!isRecord(task)) continue;
      const matrixKeys = new Set([...outerMatrix, ...entriesOf(task["matrix"]).map(([key]) => key)]);
      const taskPath = [...path, name];
      found.push({ name, path: taskPath, task, matrixKeys });
      visit(task["group"], [...taskPath, "group"], matrixKeys);
    }
  };
  visit(pipeline.pipeline["tasks"], [...pipeline.path, "tasks"], new Set());
  return found;
}

/** Every string leaf under `value`, with its path (for docker and http, where any field may hold templates). */
export function stringLeaves(value: unknown, path: PathSegment[]): { path: PathSegment[]; text: string }[] {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringLeaves(item, [...path, index]));
  return entriesOf(value).flatMap(([key, item]) => stringLeaves(item, [...path, key]));
}
