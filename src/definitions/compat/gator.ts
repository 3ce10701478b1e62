/**
 * A Gator job tree read into Spire's model (semantics of Intuity/Gator;
 * docs/compat.md has the table):
 *
 *   the top !JobGroup      → a pipeline named after its ident, its jobs the pipeline's tasks
 *                            (a top !Job or !JobArray becomes the one task of such a pipeline)
 *   !JobGroup              → a task with `group:`
 *   !JobArray (repeats: N) → a task with `matrix: { GATOR_ARRAY_INDEX: [0 … N-1] }` around a group,
 *                            so each copy has GATOR_ARRAY_INDEX (and SPIRE_ARRAY_INDEX) set
 *   !Job                   → `exec: [command, …args]`, no shell, `$VAR` expanded first (gator-expand.ts)
 *   env, cwd               → env (inherited down the tree, as Spire's is); cwd, inherited down to each job
 *   on_pass, on_done       → needs, on_done
 *   on_fail                → on_fail; Gator wants every listed job to fail, Spire's on_fail any one:
 *                            with several, the task is wrapped in groups, one on_fail each (ANDed)
 *   resources              → resources: { cpus, memory }; !License/!Feature → locks (counted)
 *   parser                 → parser (gcc, clang, pytest, eslint, tap)
 *
 * The pipeline carries `metadata: { compat: gator }`: a command that cannot
 * start then ends with exit code 255, as in Gator (see the run controller).
 */
import { basename, extname } from "node:path";
import type { PathSegment } from "../errors.js";
import { suggest } from "../suggest.js";
import { NAME_PATTERN } from "../schema.js";
import { GATOR_RESOURCE_KEYS, licenseCapacities, translateResources } from "./gator-resources.js";
import { expandVariables } from "./gator-expand.js";
import { JOB_KINDS, kindOf, type GatorKind } from "./gator-tags.js";
import type { ForeignReader, Raw } from "./reader.js";

export const GATOR_COMPAT = "gator";
export const ARRAY_INDEX = "GATOR_ARRAY_INDEX";
const ARRAY_INDEX_TEMPLATE = `\${{ matrix.${ARRAY_INDEX} }}`;
const MAX_REPEATS = 10_000;
const CONDITIONS = ["on_pass", "on_fail", "on_done"] as const;
const GROUP_KEYS = ["ident", "id", "env", "cwd", "jobs", ...CONDITIONS];
const KEYS: Record<string, readonly string[]> = {
  Job: ["ident", "id", "env", "cwd", "command", "args", "parser", ...GATOR_RESOURCE_KEYS, ...CONDITIONS],
  JobGroup: GROUP_KEYS,
  JobArray: [...GROUP_KEYS, "repeats"],
};

/** What a job sees from above: its groups' environment and working directory. */
interface Scope {
  env: ReadonlyMap<string, string>;
  cwd: string | undefined;
}

export function translateGator(raw: unknown, reader: ForeignReader): Raw | undefined {
  const kind = kindOf(raw);
  if (kind === undefined || !JOB_KINDS.includes(kind)) {
    reader.error([], "a Gator file holds one !Job, !JobGroup or !JobArray", { hint: "start the file with the tag of its top job" });
    return undefined;
  }
  const root = raw as Raw;
  const name = rootName(root, reader);
  if (name === undefined) return undefined;
  for (const condition of CONDITIONS) {
    if (root[condition] !== undefined) reader.error([condition], `${condition} on the top ${kind} has nothing to wait for`, { hint: "remove it" }, "key");
  }
  const pipelinePath = ["pipelines", name];
  reader.origins.add([], []);
  reader.origins.add(pipelinePath, []);
  const pipeline: Raw = { metadata: { compat: GATOR_COMPAT } };
  const top: Scope = { env: new Map(), cwd: undefined };
  if (kind === "JobGroup") {
    reader.knownKeys(root, KEYS.JobGroup!, [], "a !JobGroup");
    const env = reader.env(root["env"], ["env"]);
    if (env !== undefined) {
      pipeline["env"] = env;
      reader.origins.add([...pipelinePath, "env"], ["env"], true);
    }
    const scope: Scope = { env: new Map(Object.entries(env ?? {})), cwd: reader.string(root["cwd"], ["cwd"]) };
    pipeline["tasks"] = translateJobs(root["jobs"], ["jobs"], [...pipelinePath, "tasks"], scope, reader);
  } else {
    pipeline["tasks"] = { [name]: translateJob(root, kind, [], [...pipelinePath, "tasks", name], top, [name], reader) };
  }
  const capacities = licenseCapacities(pipeline["tasks"]);
  if (Object.keys(capacities).length === 0) return { pipelines: { [name]: pipeline } };
  reader.origins.add(["locks"], []);
  return { locks: capacities, pipelines: { [name]: pipeline } };
}

/** The pipeline's name: the top job's ident, else the file's name. */
function rootName(root: Raw, reader: ForeignReader): string | undefined {
  const ident = identOf(root, [], reader);
  if (ident !== undefined) return reader.name(ident.value, ident.path, "pipeline") ? ident.value : undefined;
  const stem = basename(reader.file, extname(reader.file));
  return NAME_PATTERN.test(stem) ? stem : "gator";
}

function identOf(job: Raw, path: PathSegment[], reader: ForeignReader): { value: string; path: PathSegment[] } | undefined {
  // The seed document writes `id`, Gator's code `ident`: both are read.
  const key = job["ident"] !== undefined ? "ident" : job["id"] !== undefined ? "id" : undefined;
  if (key === undefined) return undefined;
  const value = reader.string(job[key], [...path, key]);
  return value === undefined ? undefined : { value, path: [...path, key] };
}

function translateJobs(value: unknown, path: PathSegment[], tasksPath: PathSegment[], scope: Scope, reader: ForeignReader): Raw {
  const tasks: Raw = {};
  if (value === undefined || value === null) return tasks;
  if (!Array.isArray(value)) {
    reader.error(path, "expected a list of !Job, !JobGroup and !JobArray");
    return tasks;
  }
  reader.origins.add(tasksPath, path);
  // Gator names a job without an ident by its place: T0, T1, …
  const names = value.map((item, index) => (typeof item === "object" && item !== null ? identOf(item as Raw, [...path, index], reader)?.value : undefined) ?? `T${index}`);
  value.forEach((item, index) => {
    const itemPath = [...path, index];
    const kind = kindOf(item);
    if (kind === undefined || !JOB_KINDS.includes(kind)) {
      reader.error(itemPath, "expected a !Job, !JobGroup or !JobArray here", { hint: "tag each entry of jobs:" });
      return;
    }
    const name = names[index]!;
    const identPath = identOf(item as Raw, itemPath, reader)?.path ?? itemPath;
    if (!reader.name(name, identPath, "task")) return;
    if (names.indexOf(name) !== index) {
      reader.error(identPath, `a second job named ${JSON.stringify(name)} in this group`, { hint: "idents must differ between the jobs of one group" });
      return;
    }
    tasks[name] = translateJob(item as Raw, kind, itemPath, [...tasksPath, name], scope, names, reader);
  });
  return tasks;
}

function translateJob(job: Raw, kind: GatorKind, path: PathSegment[], spirePath: PathSegment[], scope: Scope, siblings: string[], reader: ForeignReader): Raw {
  reader.knownKeys(job, KEYS[kind]!, path, `a !${kind}`);
  const name = String(spirePath[spirePath.length - 1]);
  const onFail = conditionList(job, "on_fail", path, name, siblings, reader);
  // Several on_fail: one wrapping group per job listed, the task innermost (see the file comment).
  const wrappers = Math.max(0, onFail.length - 1);
  const innerPath = [...spirePath];
  for (let i = 0; i < wrappers; i++) {
    reader.origins.add(innerPath, path);
    innerPath.push("group", name);
  }
  reader.origins.add(innerPath, path);

  const task: Raw = onFail.length > 0 ? { on_fail: [onFail[onFail.length - 1]] } : {};
  const env = reader.env(job["env"], [...path, "env"]);
  const inner: Scope = { env: new Map([...scope.env, ...Object.entries(env ?? {})]), cwd: reader.string(job["cwd"], [...path, "cwd"]) ?? scope.cwd };
  if (env !== undefined) {
    task["env"] = env;
    reader.origins.add([...innerPath, "env"], [...path, "env"], true);
  }
  if (kind === "Job") Object.assign(task, jobPayload(job, path, innerPath, inner, reader));
  else if (kind === "JobGroup") task["group"] = translateJobs(job["jobs"], [...path, "jobs"], [...innerPath, "group"], inner, reader);
  else Object.assign(task, arrayPayload(job, path, innerPath, inner, reader, task));

  let outer = task;
  for (let i = onFail.length - 2; i >= 0; i--) outer = { on_fail: [onFail[i]], group: { [name]: outer } };
  const needs = conditionList(job, "on_pass", path, name, siblings, reader);
  const onDone = conditionList(job, "on_done", path, name, siblings, reader);
  for (const [field, original] of [["needs", "on_pass"], ["on_done", "on_done"], ["on_fail", "on_fail"]] as const) {
    reader.origins.add([...spirePath, field], [...path, original], true);
  }
  // Conditions first: a converted file reads like one written by hand.
  return { ...(needs.length > 0 ? { needs } : {}), ...(onDone.length > 0 ? { on_done: onDone } : {}), ...outer };
}

function jobPayload(job: Raw, path: PathSegment[], spirePath: PathSegment[], scope: Scope, reader: ForeignReader): Raw {
  const out: Raw = {};
  const command = reader.text(job["command"], [...path, "command"]);
  if (command === undefined) {
    if (job["command"] === undefined) reader.error(path, "a !Job needs `command:`", { hint: "the program to run (without a shell), its arguments in `args:`" }, "key");
    return out;
  }
  const lookup = (variable: string) => scope.env.get(variable);
  const expand = (text: string, at: PathSegment[]): string => {
    const result = expandVariables(text, lookup);
    if (result.ok) return result.text;
    reader.errorInside(at, result.reference, result.message, {
      hint: "Spire expands variables from the env: of the job and its groups (and GATOR_ARRAY_INDEX in an array); define it there, or write \\$ for a literal $",
    });
    return text;
  };
  const exec = [expand(command, [...path, "command"])];
  reader.origins.add([...spirePath, "exec"], [...path, "command"]);
  reader.origins.add([...spirePath, "exec", 0], [...path, "command"]);
  for (const { value, index } of reader.strings(job["args"], [...path, "args"], "a list of arguments")) {
    reader.origins.add([...spirePath, "exec", exec.length], [...path, "args", index]);
    exec.push(expand(value, [...path, "args", index]));
  }
  out["exec"] = exec;
  if (scope.cwd !== undefined) {
    out["cwd"] = scope.cwd;
    reader.origins.add([...spirePath, "cwd"], job["cwd"] !== undefined ? [...path, "cwd"] : path);
  }
  // Gator's tool-based log parsers: checked by Spire's own `parser:`, which says which it knows.
  if (job["parser"] !== undefined) {
    out["parser"] = job["parser"];
    reader.origins.add([...spirePath, "parser"], [...path, "parser"]);
  }
  Object.assign(out, translateResources(job["resources"], [...path, "resources"], spirePath, reader));
  return out;
}

/** `task` already holds the array's own env; the index is added last, so that it wins as in Gator. */
function arrayPayload(job: Raw, path: PathSegment[], spirePath: PathSegment[], scope: Scope, reader: ForeignReader, task: Raw): Raw {
  const repeats = reader.integer(job["repeats"], [...path, "repeats"], "a whole number") ?? 1;
  if (repeats < 1 || repeats > MAX_REPEATS) {
    reader.error([...path, "repeats"], repeats < 1 ? "repeats: 0 runs nothing; Spire needs at least one copy" : `at most ${MAX_REPEATS} copies`);
  }
  const count = Math.min(Math.max(repeats, 1), MAX_REPEATS);
  reader.origins.add([...spirePath, "matrix"], job["repeats"] !== undefined ? [...path, "repeats"] : path);
  const env = new Map(scope.env).set(ARRAY_INDEX, ARRAY_INDEX_TEMPLATE).set("SPIRE_ARRAY_INDEX", ARRAY_INDEX_TEMPLATE);
  return {
    matrix: { [ARRAY_INDEX]: Array.from({ length: count }, (_, index) => index) },
    env: { ...((task["env"] as Raw | undefined) ?? {}), [ARRAY_INDEX]: ARRAY_INDEX_TEMPLATE },
    group: translateJobs(job["jobs"], [...path, "jobs"], [...spirePath, "group"], { env, cwd: scope.cwd }, reader),
  };
}

/** The jobs a condition names: each must be another job of the same group, as in Gator. */
function conditionList(job: Raw, field: (typeof CONDITIONS)[number], path: PathSegment[], name: string, siblings: string[], reader: ForeignReader): string[] {
  const found: string[] = [];
  for (const { value, index } of reader.strings(job[field], [...path, field], "a list of job idents")) {
    const others = siblings.filter((sibling) => sibling !== name);
    if (!others.includes(value)) {
      const close = suggest(value, others);
      reader.error([...path, field, index], value === name ? `${name} cannot wait for itself` : `unknown job ${JSON.stringify(value)} in ${field} of ${name}`, {
        hint: close ? `did you mean \`${close}\`?` : others.length > 0 ? `the other jobs of this group are: ${others.join(", ")}` : "this job has no other jobs beside it",
      });
      continue;
    }
    found.push(value);
  }
  return found;
}
