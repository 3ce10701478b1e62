/**
 * Name resolution: a name is looked up among the siblings in the node's own
 * scope (its group, or its copy of a group array), then in each enclosing
 * scope out to the pipeline's top level. Conditions become dependencies on
 * node paths; a group's conditions are inherited by everything inside it.
 */
import { suggest } from "../definitions/suggest.js";
import type { Draft, KeyPath, Scope } from "./expand.js";
import type { ErrorList } from "./errors.js";
import type { Dependency, DependencyKind, PlannedNode } from "./types.js";

export const CONDITION_FIELDS: { field: "needs" | "on_fail" | "on_done"; on: DependencyKind }[] = [
  { field: "needs", on: "pass" },
  { field: "on_fail", on: "fail" },
  { field: "on_done", on: "done" },
];

export function fieldOfKind(on: DependencyKind): "needs" | "on_fail" | "on_done" {
  return on === "pass" ? "needs" : on === "fail" ? "on_fail" : "on_done";
}

export function resolveName(name: string, scope: Scope): string | undefined {
  for (let current: Scope | undefined = scope; current !== undefined; current = current.parent) {
    const path = current.names.get(name);
    if (path !== undefined) return path;
  }
  return undefined;
}

/** Every name visible from a scope, nearest first, each once. */
export function visibleNames(scope: Scope): string[] {
  const names = new Set<string>();
  for (let current: Scope | undefined = scope; current !== undefined; current = current.parent) {
    for (const name of current.names.keys()) names.add(name);
  }
  return [...names];
}

export function isAncestor(candidate: string, node: PlannedNode, byPath: ReadonlyMap<string, PlannedNode>): boolean {
  for (let parent = node.parent; parent !== undefined; parent = byPath.get(parent)?.parent) {
    if (parent === candidate) return true;
  }
  return false;
}

export interface Reference {
  name: string;
  field: string;
  keyPath: KeyPath;
  /** Who wrote it, for messages: the task's definition path, or the group/pipeline whose env it inherits. */
  display: string;
}

/**
 * Resolves one reference from `draft`'s scope, reporting unknown names and
 * references to the node itself or to a group containing it (unless
 * `checkSelf` is false: a value inherited from a group or the pipeline is not
 * the task naming itself). Returns the path only when the reference is usable.
 */
export function resolveReference(
  reference: Reference,
  draft: Draft,
  byPath: ReadonlyMap<string, PlannedNode>,
  errors: ErrorList,
  what: "condition" | "output",
  checkSelf = true,
): string | undefined {
  const { name, field, keyPath, display } = reference;
  const path = resolveName(name, draft.scope);
  if (path === undefined) {
    const suggestion = suggest(name, visibleNames(draft.scope));
    const hint = suggestion === undefined ? "" : `; did you mean "${suggestion}"?`;
    errors.add({
      code: "unknown_task",
      keyPath,
      field,
      reference: name,
      message: `unknown task "${name}" in ${field} of ${display}${hint}`,
      // No name close to it: the ones it could be, to pick from.
      ...(suggestion === undefined ? { hint: namesToPick(draft, byPath) } : { suggestion }),
    });
    return undefined;
  }
  const node = draft.node;
  if (checkSelf && (path === node.path || isAncestor(path, node, byPath))) {
    errors.add({ code: "self_reference", keyPath, field, reference: name, message: selfMessage(name, path === node.path, field, draft, what) });
    return undefined;
  }
  return path;
}

/** The tasks a reference from `draft` may name (not itself, nor a group it is in): the first few, and how many more. */
function namesToPick(draft: Draft, byPath: ReadonlyMap<string, PlannedNode>): string {
  const names = visibleNames(draft.scope).filter((candidate) => {
    const path = resolveName(candidate, draft.scope)!;
    return path !== draft.node.path && !isAncestor(path, draft.node, byPath);
  });
  if (names.length === 0) return "there is no other task it could name: remove it";
  const shown = names.slice(0, LISTED_NAMES).map((candidate) => `"${candidate}"`).join(", ");
  return `the tasks it can name here: ${shown}${names.length > LISTED_NAMES ? ` and ${names.length - LISTED_NAMES} more` : ""}`;
}

const LISTED_NAMES = 10;

function selfMessage(name: string, itself: boolean, field: string, draft: Draft, what: "condition" | "output"): string {
  if (itself) {
    return what === "condition"
      ? `${draft.display} lists itself in ${field}`
      : `${field} of ${draft.display} uses its own outputs; outputs exist only after the task ends`;
  }
  return what === "condition"
    ? `${draft.display} lists ${name} in ${field}, but ${name} contains it; a group ends only after its tasks`
    : `${field} of ${draft.display} uses outputs of ${name}, which contains it; a group ends only after its tasks`;
}

/**
 * Fills `deps` of every node: its own conditions, then those of its
 * enclosing groups and arrays (nearest first). Drafts come parents first,
 * so a parent's deps are complete before its children copy them.
 */
export function resolveConditions(drafts: Draft[], byPath: ReadonlyMap<string, PlannedNode>, errors: ErrorList): void {
  for (const draft of drafts) {
    const node = draft.node;
    const own: Dependency[] = [];
    if (draft.ownConditions) {
      for (const { field, on } of CONDITION_FIELDS) {
        for (const name of node.def[field]) {
          const reference = { name, field, keyPath: draft.keyPath, display: draft.display };
          const path = resolveReference(reference, draft, byPath, errors, "condition");
          if (path !== undefined) own.push({ path, on, from: node.path });
        }
      }
    }
    const inherited = node.parent === undefined ? [] : (byPath.get(node.parent)?.deps ?? []);
    node.deps = dedupe([...own, ...inherited]);
  }
}

function dedupe(deps: Dependency[]): Dependency[] {
  const seen = new Set<string>();
  return deps.filter((dep) => {
    const key = `${dep.on}\u0000${dep.path}\u0000${dep.from ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
