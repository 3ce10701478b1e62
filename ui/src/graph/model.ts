/**
 * The task graph of a pipeline definition, as the engine plans it
 * (src/plan/expand.ts and resolve.ts): groups and arrays become nodes with
 * paths (`checks/size`, `shards[2]`, `matrix[1]/step`), and each `needs`,
 * `on_fail` and `on_done` name is resolved among its siblings first, then in
 * each enclosing scope out to the pipeline's top level. Pure data: drawing
 * it is task-graph.tsx's job.
 */

export type DependencyKind = "pass" | "fail" | "done";

export interface GraphDependency {
  /** The path of the node depended on (a task, a group or an array). */
  path: string;
  on: DependencyKind;
}

export type GraphNodeKind = "task" | "group" | "array";

export interface GraphNode {
  path: string;
  /** The name as written in the file (a copy has its array's name). */
  name: string;
  /** What the graph shows: the name, or for a copy its index or matrix values. */
  label: string;
  kind: GraphNodeKind;
  /** A copy of an array (its index in the path). */
  copyIndex?: number;
  /** The matrix values of a copy of a matrix array. */
  matrix?: Record<string, string | number | boolean>;
  parent?: string;
  /** Direct children of a group or array (copies), in file order. */
  children: string[];
  /** Its own conditions (a copy has none: its array carries them). */
  deps: GraphDependency[];
  /** What a task runs: run, exec, python, http, … */
  payload?: string;
  /** Leaf tasks at or below it. */
  taskCount: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  on: DependencyKind;
}

export interface GraphModel {
  nodes: ReadonlyMap<string, GraphNode>;
  /** Top-level nodes, in file order. */
  roots: readonly string[];
  /** Every leaf task, in file order. */
  tasks: readonly string[];
  /** Every dependency, from the node depended on to the one that waits. */
  edges: readonly GraphEdge[];
}

type Scalar = string | number | boolean;

interface TaskDefinition {
  kind?: unknown;
  group?: Record<string, TaskDefinition>;
  repeat?: number;
  matrix?: Record<string, Scalar[]>;
  needs?: string[];
  on_pass?: string[];
  depends_on?: string[];
  on_fail?: string[];
  on_done?: string[];
  [key: string]: unknown;
}

interface Scope {
  names: Map<string, string>;
  parent: Scope | undefined;
}

interface Draft {
  node: GraphNode;
  def: TaskDefinition;
  scope: Scope;
}

const PAYLOADS = ["run", "exec", "python", "node", "script", "uv", "docker", "http", "sql"];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === "string") : [];
}

function payloadOf(def: TaskDefinition): string | undefined {
  if (typeof def.kind === "string" && def.kind !== "group") return def.kind;
  return PAYLOADS.find((key) => def[key] !== undefined);
}

/** Cartesian product: keys in file order, the first key varying slowest (as the engine does). */
function matrixCombinations(matrix: Record<string, Scalar[]>): Record<string, Scalar>[] {
  let combinations: Record<string, Scalar>[] = [{}];
  for (const [key, values] of Object.entries(matrix)) {
    const list = Array.isArray(values) ? values : [];
    combinations = combinations.flatMap((partial) => list.map((value) => ({ ...partial, [key]: value })));
  }
  return combinations;
}

/**
 * The graph of a normalised pipeline definition (GET /runs/{id}/definition's
 * `definition`, or GET /pipelines/{ns}/{name}'s `definition`). Names that
 * resolve to nothing are left out (the engine refuses such definitions).
 */
export function graphModelFromDefinition(definition: unknown): GraphModel {
  const tasks = isRecord(definition) && isRecord(definition.tasks) ? (definition.tasks as Record<string, TaskDefinition>) : {};
  const nodes = new Map<string, GraphNode>();
  const drafts: Draft[] = [];
  const top: Scope = { names: new Map(), parent: undefined };
  const roots: string[] = [];

  const add = (node: GraphNode, def: TaskDefinition, scope: Scope, own: boolean) => {
    nodes.set(node.path, node);
    if (own) drafts.push({ node, def, scope });
  };

  const expandGroup = (group: Record<string, TaskDefinition>, parent: GraphNode, scope: Scope) => {
    for (const [name, def] of Object.entries(group)) {
      if (!isRecord(def)) continue;
      parent.children.push(expandTask(name, def, parent.path, scope));
    }
  };

  const expandTask = (name: string, def: TaskDefinition, parentPath: string | undefined, scope: Scope): string => {
    const path = parentPath === undefined ? name : `${parentPath}/${name}`;
    scope.names.set(name, path);
    const isArray = def.repeat !== undefined || def.matrix !== undefined;
    const isGroup = isRecord(def.group);
    const kind: GraphNodeKind = isArray ? "array" : isGroup ? "group" : "task";
    const node: GraphNode = { path, name, label: name, kind, children: [], deps: [], taskCount: 0 };
    if (parentPath !== undefined) node.parent = parentPath;
    if (kind === "task") node.payload = payloadOf(def);
    add(node, def, scope, true);
    if (isArray) {
      const combinations: (Record<string, Scalar> | undefined)[] = isRecord(def.matrix)
        ? matrixCombinations(def.matrix as Record<string, Scalar[]>)
        : Array.from({ length: typeof def.repeat === "number" ? Math.max(0, Math.min(def.repeat, 100_000)) : 1 }, () => undefined);
      combinations.forEach((values, index) => {
        const copyPath = `${path}[${index}]`;
        const label = values ? Object.values(values).map(String).join(" · ") : `${name}[${index}]`;
        const copy: GraphNode = { path: copyPath, name, label, kind: isGroup ? "group" : "task", copyIndex: index, parent: path, children: [], deps: [], taskCount: 0 };
        if (values) copy.matrix = values;
        if (!isGroup) copy.payload = payloadOf(def);
        node.children.push(copyPath);
        add(copy, def, scope, false);
        // A copy of a group has a scope of its own: its tasks see each other, not the other copies'.
        if (isGroup) expandGroup(def.group!, copy, { names: new Map(), parent: scope });
      });
    } else if (isGroup) {
      expandGroup(def.group!, node, { names: new Map(), parent: scope });
    }
    return path;
  };

  for (const [name, def] of Object.entries(tasks)) if (isRecord(def)) roots.push(expandTask(name, def, undefined, top));

  const edges: GraphEdge[] = [];
  for (const { node, def, scope } of drafts) {
    const conditions: [string[], DependencyKind][] = [
      [[...names(def.needs), ...names(def.on_pass), ...names(def.depends_on)], "pass"],
      [names(def.on_fail), "fail"],
      [names(def.on_done), "done"],
    ];
    const seen = new Set<string>();
    for (const [list, on] of conditions) {
      for (const name of list) {
        const path = resolve(name, scope);
        if (path === undefined || path === node.path || seen.has(`${on}:${path}`)) continue;
        seen.add(`${on}:${path}`);
        node.deps.push({ path, on });
        edges.push({ from: path, to: node.path, on });
      }
    }
  }

  const leafTasks: string[] = [];
  const count = (path: string): number => {
    const node = nodes.get(path)!;
    if (node.children.length === 0) {
      node.taskCount = node.kind === "task" ? 1 : 0;
      if (node.kind === "task") leafTasks.push(path);
    } else node.taskCount = node.children.reduce((sum, child) => sum + count(child), 0);
    return node.taskCount;
  };
  for (const root of roots) count(root);

  return { nodes, roots, tasks: leafTasks, edges };
}

function resolve(name: string, scope: Scope): string | undefined {
  for (let current: Scope | undefined = scope; current !== undefined; current = current.parent) {
    const path = current.names.get(name);
    if (path !== undefined) return path;
  }
  return undefined;
}

/** The node and its enclosing groups and arrays, outermost first. */
export function ancestry(model: GraphModel, path: string): string[] {
  const chain: string[] = [];
  for (let current: string | undefined = path; current !== undefined; current = model.nodes.get(current)?.parent) chain.push(current);
  return chain.reverse();
}

/** Its own conditions and those it inherits from enclosing groups and arrays (what the engine waits for). */
export function effectiveDeps(model: GraphModel, path: string): GraphDependency[] {
  const deps: GraphDependency[] = [];
  for (let current: string | undefined = path; current !== undefined; current = model.nodes.get(current)?.parent) {
    deps.push(...(model.nodes.get(current)?.deps ?? []));
  }
  return deps;
}

/** The leaf tasks at or below a node. */
export function tasksUnder(model: GraphModel, path: string): string[] {
  const node = model.nodes.get(path);
  if (!node) return [];
  if (node.children.length === 0) return node.kind === "task" ? [path] : [];
  return node.children.flatMap((child) => tasksUnder(model, child));
}
