/**
 * How many nodes a pipeline expands to, counted from the definition alone,
 * before anything is built: a 133-byte `repeat: 10000` inside another
 * `repeat: 10000` is a hundred million nodes, which must be refused, not
 * expanded. Pure arithmetic over the tree of definitions (copies are never
 * materialised), so it costs what the file costs, whatever it multiplies to.
 * Numbers may grow to Infinity; comparisons still hold.
 */
import type { KeyPath } from "./expand.js";
import type { PipelineDef, TaskDef } from "./types.js";

/** What one run of a pipeline may expand to, unless the engine is told otherwise (spire engine --max-tasks). */
export const DEFAULT_MAX_TASKS = 10_000;

export interface ExpansionCount {
  /** Every node the planner would make: tasks, groups, arrays and their copies. */
  nodes: number;
  /**
   * The outermost repeat or matrix on the way to the biggest part of the
   * pipeline: where a user lowers the count. Absent when nothing multiplies.
   */
  site?: { keyPath: KeyPath; field: "repeat" | "matrix"; copies: number };
}

interface Counted {
  nodes: number;
  site: ExpansionCount["site"];
}

export function countExpansion(name: string, pipeline: PipelineDef): ExpansionCount {
  const counted = countTasks(pipeline.tasks, ["pipelines", name, "tasks"]);
  return counted.site === undefined ? { nodes: counted.nodes } : counted;
}

/** The tasks of one level; the site is the one of the biggest task (its own repeat, else the biggest inside it). */
function countTasks(tasks: Record<string, TaskDef>, keyPath: KeyPath): Counted {
  let nodes = 0;
  let biggest: Counted | undefined;
  for (const [name, def] of Object.entries(tasks)) {
    const counted = countTask(def, [...keyPath, name]);
    nodes += counted.nodes;
    if (counted.site !== undefined && (biggest === undefined || counted.nodes > biggest.nodes)) biggest = counted;
  }
  return { nodes, site: biggest?.site };
}

function countTask(def: TaskDef, keyPath: KeyPath): Counted {
  const inner = def.group === undefined ? { nodes: 0, site: undefined } : countTasks(def.group, [...keyPath, "group"]);
  const copies = copiesOf(def);
  // An array is one node, plus per copy the copy and what its group holds.
  if (copies !== undefined) {
    const field = def.matrix !== undefined ? "matrix" : "repeat";
    return { nodes: 1 + copies * (1 + inner.nodes), site: { keyPath, field, copies } };
  }
  return { nodes: 1 + inner.nodes, site: inner.site };
}

function copiesOf(def: TaskDef): number | undefined {
  if (def.matrix !== undefined) return Object.values(def.matrix).reduce((product, values) => product * values.length, 1);
  return def.repeat;
}
