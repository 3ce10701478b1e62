/**
 * First planning step: turn the nested task definitions into flat nodes
 * (leaves, groups, arrays and their copies) with paths, inherited env and runs_on,
 * matrix values and parallel limits. Names are registered in scopes here and
 * resolved later (resolve.ts), once every sibling is known.
 */
import type { PipelineDef, PlannedNode, TaskDef } from "./types.js";

export type KeyPath = (string | number)[];

/** The names visible at one level: a pipeline's top level, a group, or one copy of a group array. */
export interface Scope {
  names: Map<string, string>;
  parent: Scope | undefined;
}

/** Where an inherited env value was written, for error messages about its templates. */
export interface EnvOrigin {
  keyPath: KeyPath;
  display: string;
}

export interface Draft {
  node: PlannedNode;
  keyPath: KeyPath;
  /** The definition path without copy indices (`arr/say_count`): what users wrote. */
  display: string;
  /** The scope this node's own names (needs, templates) resolve in. */
  scope: Scope;
  /** Copies have no conditions of their own: the array node carries them. */
  ownConditions: boolean;
  /** Origin of each env key that this node inherited rather than set itself. */
  inheritedEnv: Map<string, EnvOrigin>;
}

interface Context {
  parentPath: string | undefined;
  scope: Scope;
  keyPath: KeyPath;
  display: string | undefined;
  env: Record<string, string>;
  envOrigin: Map<string, EnvOrigin>;
  allowFailure: boolean | undefined;
  /** The runs_on in effect here (the nearest declaration wins), if any. */
  runsOn: string[] | undefined;
  parallelLimits: { path: string; max: number }[];
  arrayIndex: number | undefined;
  matrix: Record<string, string | number | boolean> | undefined;
}

/** All nodes of a pipeline, parents before children, in file order. */
export function expandPipeline(name: string, pipeline: PipelineDef): { drafts: Draft[]; top: Scope } {
  const top: Scope = { names: new Map(), parent: undefined };
  const drafts: Draft[] = [];
  const pipelineKeyPath: KeyPath = ["pipelines", name];
  const envOrigin = new Map<string, EnvOrigin>();
  for (const key of Object.keys(pipeline.env)) envOrigin.set(key, { keyPath: pipelineKeyPath, display: `pipeline ${name}` });
  const context: Context = {
    parentPath: undefined,
    scope: top,
    keyPath: [...pipelineKeyPath, "tasks"],
    display: undefined,
    env: { ...pipeline.env },
    envOrigin,
    allowFailure: undefined,
    runsOn: pipeline.runs_on,
    parallelLimits: [],
    arrayIndex: undefined,
    matrix: undefined,
  };
  for (const [taskName, def] of Object.entries(pipeline.tasks)) expandTask(taskName, def, context, drafts);
  return { drafts, top };
}

function expandTask(name: string, def: TaskDef, context: Context, drafts: Draft[]): void {
  const path = context.parentPath === undefined ? name : `${context.parentPath}/${name}`;
  context.scope.names.set(name, path);
  const keyPath = [...context.keyPath, name];
  const display = context.display === undefined ? name : `${context.display}/${name}`;
  const env = { ...context.env, ...(def.env ?? {}) };
  const inheritedEnv = new Map([...context.envOrigin].filter(([key]) => def.env?.[key] === undefined));
  const envOrigin = new Map(context.envOrigin);
  for (const key of Object.keys(def.env ?? {})) envOrigin.set(key, { keyPath, display });
  const allowFailure = def.allow_failure ?? context.allowFailure;
  const runsOn = def.runs_on ?? context.runsOn;
  const isArray = def.repeat !== undefined || def.matrix !== undefined;
  const node = makeNode(path, name, isArray ? "array" : def.group !== undefined ? "group" : "task", def, { ...context, runsOn }, env, allowFailure);
  node.keyPath = keyPath;
  drafts.push({ node, keyPath, display, scope: context.scope, ownConditions: true, inheritedEnv });

  const inner: Context = { ...context, parentPath: path, keyPath, display, env, envOrigin, allowFailure, runsOn };
  if (isArray) expandCopies(node, def, inner, inheritedEnv, drafts);
  else if (def.group !== undefined) expandChildren(node, def.group, { ...inner, scope: { names: new Map(), parent: context.scope } }, drafts);
}

function expandChildren(parent: PlannedNode, group: Record<string, TaskDef>, context: Context, drafts: Draft[]): void {
  const keyPath = [...context.keyPath, "group"];
  for (const [childName, childDef] of Object.entries(group)) {
    parent.children.push(`${parent.path}/${childName}`);
    expandTask(childName, childDef, { ...context, keyPath }, drafts);
  }
}

/** One copy per repeat index or matrix combination; a copy of a group is a group with its own scope. */
function expandCopies(array: PlannedNode, def: TaskDef, context: Context, inheritedEnv: Map<string, EnvOrigin>, drafts: Draft[]): void {
  const { repeat: _repeat, matrix: _matrix, parallel, ...copyDef } = def;
  const parallelLimits = parallel === undefined ? context.parallelLimits : [...context.parallelLimits, { path: array.path, max: parallel }];
  const combinations = def.matrix !== undefined ? matrixCombinations(def.matrix) : Array.from({ length: def.repeat ?? 1 }, () => undefined);
  combinations.forEach((values, index) => {
    const path = `${array.path}[${index}]`;
    const matrix = values === undefined ? context.matrix : { ...(context.matrix ?? {}), ...values };
    const copyContext: Context = { ...context, parallelLimits, arrayIndex: index, matrix };
    const type = copyDef.group !== undefined ? "group" : "task";
    const node = makeNode(path, array.name, type, copyDef, copyContext, context.env, context.allowFailure);
    node.keyPath = context.keyPath;
    array.children.push(path);
    drafts.push({ node, keyPath: context.keyPath, display: context.display ?? array.name, scope: context.scope, ownConditions: false, inheritedEnv });
    if (copyDef.group !== undefined) {
      const scope: Scope = { names: new Map(), parent: context.scope };
      expandChildren(node, copyDef.group, { ...copyContext, parentPath: path, scope }, drafts);
    }
  });
}

function makeNode(
  path: string,
  name: string,
  type: PlannedNode["type"],
  def: TaskDef,
  context: Context,
  env: Record<string, string>,
  allowFailure: boolean | undefined,
): PlannedNode {
  const node: PlannedNode = {
    path,
    name,
    type,
    children: [],
    def,
    env,
    deps: [],
    taskRefs: {},
    parallelLimits: context.parallelLimits,
    allowFailure: allowFailure ?? false,
  };
  if (context.parentPath !== undefined) node.parent = context.parentPath;
  if (context.arrayIndex !== undefined) node.arrayIndex = context.arrayIndex;
  if (context.matrix !== undefined) node.matrix = context.matrix;
  if (context.runsOn !== undefined) node.runsOn = context.runsOn;
  return node;
}

/** Cartesian product: keys in file order, the first key varying slowest. */
export function matrixCombinations(
  matrix: Record<string, (string | number | boolean)[]>,
): Record<string, string | number | boolean>[] {
  let combinations: Record<string, string | number | boolean>[] = [{}];
  for (const [key, values] of Object.entries(matrix)) {
    combinations = combinations.flatMap((partial) => values.map((value) => ({ ...partial, [key]: value })));
  }
  return combinations;
}
