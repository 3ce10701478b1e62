/**
 * Graph questions over planned nodes: cycles, "is T upstream of N", and a
 * topological order. Iterative throughout: a 10,000-task chain must not
 * overflow the stack.
 *
 * The "waits for" graph has an edge N → D for every dependency of N (own
 * and inherited) and G → C from every group or array to each child (a group
 * ends only after its children). A deadlock is exactly a cycle here.
 */
import type { PlannedNode } from "./types.js";

type ByPath = ReadonlyMap<string, PlannedNode>;

function waitsFor(node: PlannedNode): string[] {
  return [...node.deps.map((dep) => dep.path), ...node.children];
}

/**
 * One cycle (as node paths, first node not repeated) per back edge found by
 * a depth-first search in node order. Every cyclic part of the graph yields
 * at least one.
 */
export function findCycles(nodes: readonly PlannedNode[], byPath: ByPath): string[][] {
  const colour = new Map<string, "grey" | "black">();
  const cycles: string[][] = [];
  for (const root of nodes) {
    if (colour.has(root.path)) continue;
    const stack: { path: string; next: string[]; at: number }[] = [];
    const enter = (path: string) => {
      colour.set(path, "grey");
      stack.push({ path, next: waitsFor(byPath.get(path)!), at: 0 });
    };
    enter(root.path);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const target = top.next[top.at++];
      if (target === undefined) {
        colour.set(top.path, "black");
        stack.pop();
      } else if (!byPath.has(target)) {
        continue;
      } else if (colour.get(target) === "grey") {
        const start = stack.findIndex((frame) => frame.path === target);
        cycles.push(stack.slice(start).map((frame) => frame.path));
      } else if (!colour.has(target)) {
        enter(target);
      }
    }
  }
  return cycles;
}

/**
 * Whether `target` must have ended before `node` starts: reachable through
 * dependencies, transitively, where depending on a group means waiting for
 * everything inside it.
 */
export function isUpstream(node: PlannedNode, target: string, byPath: ByPath): boolean {
  const seen = new Set<string>();
  const queue = node.deps.map((dep) => dep.path);
  for (let i = 0; i < queue.length; i++) {
    const path = queue[i]!;
    if (path === target) return true;
    if (seen.has(path)) continue;
    seen.add(path);
    const next = byPath.get(path);
    if (next !== undefined) queue.push(...waitsFor(next));
  }
  return false;
}

/**
 * Nodes in an order where each parent precedes its children and every
 * dependency (for a group: with all it contains) precedes its dependents;
 * otherwise file order. The graph must be free of cycles.
 */
export function topologicalOrder(nodes: readonly PlannedNode[], byPath: ByPath): PlannedNode[] {
  const order: PlannedNode[] = [];
  const done = new Set<string>();
  const active = new Set<string>();
  // An item is a node path, or END + path: "the node and everything inside it".
  const END = "\u0000end:";
  const prerequisites = (item: string): string[] => {
    if (item.startsWith(END)) {
      const node = byPath.get(item.slice(END.length))!;
      return [node.path, ...node.children.map((child) => END + child)];
    }
    const node = byPath.get(item)!;
    const before = node.deps.filter((dep) => byPath.has(dep.path)).map((dep) => END + dep.path);
    return node.parent === undefined ? before : [node.parent, ...before];
  };
  for (const root of nodes) {
    if (done.has(root.path)) continue;
    active.add(root.path);
    const stack: { item: string; next: string[]; at: number }[] = [{ item: root.path, next: prerequisites(root.path), at: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const item = top.next[top.at++];
      if (item === undefined) {
        stack.pop();
        active.delete(top.item);
        if (done.has(top.item)) continue;
        done.add(top.item);
        if (!top.item.startsWith(END)) order.push(byPath.get(top.item)!);
      } else if (!done.has(item) && !active.has(item)) {
        active.add(item);
        stack.push({ item, next: prerequisites(item), at: 0 });
      }
    }
  }
  return order;
}
