/**
 * The rows of the history grid: every task, group and array of the runs
 * shown, in the newest run's plan order (nodes only older runs had are put
 * after their predecessor there), members indented under their group.
 * Arrays are folded (one row with the array's state) unless unfolded;
 * groups are open unless closed.
 */
import { parentOf, type HistoryRun, type NodeKind } from "./history";

export interface Row {
  path: string;
  /** The last part of the path: `size` for `checks/size`, `shards[2]` for a copy. */
  label: string;
  depth: number;
  kind: NodeKind;
  /** Has rows under it (a group or an array, or a copy that is a group). */
  parent: boolean;
}

export function labelOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? path : path.slice(slash + 1);
}

function depthOf(path: string): number {
  let depth = 0;
  for (let parent = parentOf(path); parent !== undefined; parent = parentOf(parent)) depth++;
  return depth;
}

const holds = (outer: string, inner: string) => inner.startsWith(`${outer}/`) || inner.startsWith(`${outer}[`);

/** Every node of the runs shown (newest first), in order. */
export function allRows(runs: readonly HistoryRun[]): Row[] {
  const order: string[] = [];
  const kinds = new Map<string, NodeKind>();
  const known = new Set<string>();
  for (const run of runs) {
    if (!run.order) continue;
    let previous: string | undefined;
    for (const path of run.order) {
      if (!kinds.has(path)) kinds.set(path, run.kinds?.get(path) ?? "task");
      if (!known.has(path)) {
        known.add(path);
        let at = previous === undefined ? -1 : order.indexOf(previous);
        // After its predecessor, and after what that one holds, unless it is held by it.
        if (previous !== undefined && !holds(previous, path)) while (at + 1 < order.length && holds(previous, order[at + 1]!)) at++;
        order.splice(at + 1, 0, path);
      }
      previous = path;
    }
  }
  const parents = new Set<string>();
  for (const path of order) {
    const parent = parentOf(path);
    if (parent !== undefined) parents.add(parent);
  }
  return order.map((path) => ({ path, label: labelOf(path), depth: depthOf(path), kind: kinds.get(path) ?? "task", parent: parents.has(path) }));
}

/**
 * The rows to show: those under a closed group or a folded array are left
 * out. `toggled` holds the paths the reader changed from the default
 * (groups open, arrays folded).
 */
export function visibleRows(rows: readonly Row[], toggled: ReadonlySet<string>): Row[] {
  const open = (row: Row) => (row.kind === "array" ? toggled.has(row.path) : !toggled.has(row.path));
  const byPath = new Map(rows.map((row) => [row.path, row]));
  return rows.filter((row) => {
    for (let parent = parentOf(row.path); parent !== undefined; parent = parentOf(parent)) {
      const above = byPath.get(parent);
      if (above && !open(above)) return false;
    }
    return true;
  });
}

export function isOpen(row: Row, toggled: ReadonlySet<string>): boolean {
  return row.kind === "array" ? toggled.has(row.path) : !toggled.has(row.path);
}
