/**
 * `${{ tasks.T.outputs.K }}` references of a leaf task: found in every field
 * where templates are allowed (env values, exec items, args, cwd, docker,
 * http, sql), resolved like a needs name, and checked to be upstream.
 */
import { findTemplates, parseTemplateExpr } from "../definitions/templates.js";
import type { Draft } from "./expand.js";
import type { ErrorList } from "./errors.js";
import { resolveReference, type Reference } from "./resolve.js";
import type { PlannedNode, TaskDef } from "./types.js";

interface TemplatedField {
  field: string;
  text: string;
  /** Set when the value was inherited: then errors point at where it was written. */
  origin?: { keyPath: (string | number)[]; display: string };
}

/** Every templatable value of a leaf, with the field name used in errors. */
export function templatedFields(draft: Draft): TemplatedField[] {
  const def = draft.node.def;
  const fields: TemplatedField[] = [];
  for (const [key, origin] of draft.inheritedEnv) {
    const text = draft.node.env[key];
    if (text !== undefined) fields.push({ field: `env.${key}`, text, origin });
  }
  for (const [key, text] of stringEntries(def.env)) fields.push({ field: `env.${key}`, text });
  listFields(fields, "exec", def.exec);
  listFields(fields, "args", def.args);
  if (def.cwd !== undefined) fields.push({ field: "cwd", text: def.cwd });
  fields.push(...dockerFields(def), ...httpFields(def), ...sqlFields(def));
  return fields;
}

/** The schema's maps hold strings; the inferred type of TaskDef loses that, so say it here. */
function stringEntries(record: Record<string, unknown> | undefined): [string, string][] {
  return Object.entries(record ?? {}).map(([key, value]) => [key, String(value)]);
}

function listFields(into: TemplatedField[], name: string, items: string[] | undefined): void {
  items?.forEach((text, index) => into.push({ field: `${name}[${index}]`, text }));
}

function dockerFields(def: TaskDef): TemplatedField[] {
  const docker = def.docker;
  if (docker === undefined) return [];
  const fields: TemplatedField[] = [{ field: "docker.image", text: docker.image }];
  if (typeof docker.command === "string") fields.push({ field: "docker.command", text: docker.command });
  else listFields(fields, "docker.command", docker.command);
  listFields(fields, "docker.volumes", docker.volumes);
  for (const [key, text] of stringEntries(docker.env)) fields.push({ field: `docker.env.${key}`, text });
  if (docker.workdir !== undefined) fields.push({ field: "docker.workdir", text: docker.workdir });
  return fields;
}

function httpFields(def: TaskDef): TemplatedField[] {
  const http = def.http;
  if (http === undefined) return [];
  const fields: TemplatedField[] = [{ field: "http.url", text: http.url }];
  for (const [key, text] of stringEntries(http.headers)) fields.push({ field: `http.headers.${key}`, text });
  if (http.body !== undefined) fields.push({ field: "http.body", text: http.body });
  return fields;
}

function sqlFields(def: TaskDef): TemplatedField[] {
  const sql = def.sql;
  if (sql === undefined) return [];
  const fields: TemplatedField[] = [{ field: "sql.url", text: sql.url }];
  for (const [key, value] of Object.entries(sql.params)) if (typeof value === "string") fields.push({ field: `sql.params.${key}`, text: value });
  return fields;
}

/**
 * Fills `taskRefs` of a leaf and reports references that are unknown, to
 * the task itself, or to a task that need not have ended before this one
 * starts (its outputs would not exist yet).
 */
export function resolveTaskRefs(
  draft: Draft,
  byPath: ReadonlyMap<string, PlannedNode>,
  isUpstream: (node: PlannedNode, target: string) => boolean,
  errors: ErrorList,
): void {
  const node = draft.node;
  for (const { field, text, origin } of templatedFields(draft)) {
    for (const match of findTemplates(text)) {
      const ref = parseTemplateExpr(match.expr);
      if ("error" in ref || ref.kind !== "task_output") continue;
      const reference: Reference = {
        name: ref.task,
        field,
        keyPath: origin?.keyPath ?? draft.keyPath,
        display: origin?.display ?? draft.display,
      };
      const path = resolveReference(reference, draft, byPath, errors, "output", origin === undefined);
      if (path === undefined) continue;
      node.taskRefs[ref.task] = path;
      if (!isUpstream(node, path)) {
        errors.add({
          code: "not_upstream",
          keyPath: reference.keyPath,
          field,
          reference: ref.task,
          message: `${field} of ${reference.display} uses outputs of ${ref.task}, which is not upstream of ${draft.display}; add "${ref.task}" to needs`,
        });
      }
    }
  }
}
