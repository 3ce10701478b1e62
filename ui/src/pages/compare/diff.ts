/** What differs between two runs: their arguments, and each task's figures, side by side. */
import type { Run, TaskRun } from "../../api/types";

export interface ArgRow {
  name: string;
  a: string | undefined;
  b: string | undefined;
  differs: boolean;
}

function argText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function compareArgs(a: Run, b: Run): ArgRow[] {
  const names = [...new Set([...Object.keys(a.args), ...Object.keys(b.args)])].sort();
  return names.map((name) => {
    const left = name in a.args ? argText(a.args[name]) : undefined;
    const right = name in b.args ? argText(b.args[name]) : undefined;
    return { name, a: left, b: right, differs: left !== right };
  });
}

export interface TaskPair {
  path: string;
  a: TaskRun | undefined;
  b: TaskRun | undefined;
}

/** Every task of either run, in B's order, with A's own tasks after the task they follow in A. */
export function pairTasks(a: Run, b: Run): TaskPair[] {
  const order = b.tasks.map((task) => task.path);
  const known = new Set(order);
  let previous: string | undefined;
  for (const task of a.tasks) {
    if (!known.has(task.path)) {
      const at = previous === undefined ? -1 : order.indexOf(previous);
      order.splice(at + 1, 0, task.path);
      known.add(task.path);
    }
    previous = task.path;
  }
  const byA = new Map(a.tasks.map((task) => [task.path, task]));
  const byB = new Map(b.tasks.map((task) => [task.path, task]));
  return order.map((path) => ({ path, a: byA.get(path), b: byB.get(path) }));
}

/**
 * A measured figure (time, CPU, memory) "differs" when B is at least a
 * quarter more or less than A, and by more than `floor` (a 3 ms task
 * taking 5 ms is noise, not news). A figure measured on one side only is
 * not called a difference: the state says why (skipped, never started), or
 * the platform could not measure it.
 */
export function measuredDiffers(a: number | null | undefined, b: number | null | undefined, floor: number): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const delta = Math.abs(b - a);
  return delta > floor && delta >= 0.25 * Math.max(Math.abs(a), 1);
}

/** "+35%", "−12%", or "" when there is no A to compare with. */
export function relativeChange(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined || a === 0) return "";
  const percent = Math.round(((b - a) / a) * 100);
  if (percent === 0) return "±0%";
  return `${percent > 0 ? "+" : "−"}${Math.abs(percent)}%`;
}

/** Bytes as the run page writes them (3.4 MiB, 812 B). */
export { formatBytes } from "../run/format";
