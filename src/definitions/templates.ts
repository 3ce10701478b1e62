/**
 * `${{ … }}` templates. They are allowed only where no shell parses the
 * result (env values, exec items, cwd, docker, http), so a value can never
 * become shell code. Pure: parsing, checking and rendering.
 */

export type TemplateRef =
  | { kind: "args"; name: string }
  | { kind: "task_output"; task: string; key: string }
  | { kind: "run"; field: "id" | "namespace" | "pipeline" | "scheduled_at" | "trigger" }
  | { kind: "matrix"; key: string };

export interface TemplateMatch {
  /** The whole `${{ … }}` text. */
  text: string;
  /** The expression between the braces, trimmed. */
  expr: string;
  /** Offset of `${{` in the string. */
  index: number;
}

const TEMPLATE = /\$\{\{(.*?)\}\}/g;
const RUN_FIELDS = new Set(["id", "namespace", "pipeline", "scheduled_at", "trigger"]);

export const TEMPLATE_FORMS = "args.NAME, tasks.TASK.outputs.KEY, run.id, run.namespace, run.pipeline, run.scheduled_at, run.trigger, matrix.KEY";

export function findTemplates(text: string): TemplateMatch[] {
  const found: TemplateMatch[] = [];
  // Most words of a file have none: a substring search costs less than the regex's iterator.
  if (!hasTemplate(text)) return found;
  for (const match of text.matchAll(TEMPLATE)) {
    found.push({ text: match[0], expr: (match[1] ?? "").trim(), index: match.index ?? 0 });
  }
  return found;
}

export function hasTemplate(text: string): boolean {
  return text.includes("${{");
}

/** The reference an expression names, or an error message saying what is allowed. */
export function parseTemplateExpr(expr: string): TemplateRef | { error: string } {
  const parts = expr.split(".");
  const [head, a, b, c] = parts;
  if (head === "args" && parts.length === 2 && a) return { kind: "args", name: a };
  if (head === "tasks" && parts.length === 4 && a && b === "outputs" && c) return { kind: "task_output", task: a, key: c };
  if (head === "run" && parts.length === 2 && a && RUN_FIELDS.has(a)) {
    return { kind: "run", field: a as "id" | "namespace" | "pipeline" | "scheduled_at" | "trigger" };
  }
  if (head === "matrix" && parts.length === 2 && a) return { kind: "matrix", key: a };
  return { error: `\`\${{ ${expr} }}\` is not a template Spire knows; use one of: ${TEMPLATE_FORMS}` };
}

export interface TemplateContext {
  args: Record<string, unknown>;
  /** Outputs by the name used in the template (already resolved to the right task). */
  taskOutputs(task: string): Record<string, string> | undefined;
  run: { id: string; namespace: string; pipeline: string; scheduled_at: string; trigger: string };
  matrix?: Record<string, string | number | boolean>;
}

/**
 * How a value is put where its template stands (e.g. encoded for a URL); `index`
 * is where the template starts in the text.
 */
export type Placer = (value: string, at: { index: number; expr: string }) => string;

/**
 * Renders every template in `text`. A reference that has no value renders as
 * the empty string and is reported in `missing`, so the caller decides.
 */
export function renderTemplate(text: string, context: TemplateContext, place?: Placer): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = text.replace(TEMPLATE, (_whole, inner: string, index: number) => {
    const ref = parseTemplateExpr(inner.trim());
    const resolved = "error" in ref ? undefined : lookup(ref, context);
    if (resolved === undefined) {
      missing.push(inner.trim());
      return "";
    }
    return place === undefined ? resolved : place(resolved, { index, expr: inner.trim() });
  });
  return { value, missing };
}

function lookup(ref: TemplateRef, context: TemplateContext): string | undefined {
  switch (ref.kind) {
    case "args": {
      const value = context.args[ref.name];
      return value === undefined || value === null ? undefined : String(value);
    }
    case "task_output":
      return context.taskOutputs(ref.task)?.[ref.key];
    case "run":
      return context.run[ref.field];
    case "matrix": {
      const value = context.matrix?.[ref.key];
      return value === undefined ? undefined : String(value);
    }
  }
}
