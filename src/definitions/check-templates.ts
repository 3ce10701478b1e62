/**
 * `${{ … }}` templates. Where a shell or an interpreter would read the text
 * (run, shell, python, node, script, uv, a notify's run, sql's query) a template is an
 * error, because a value must never become code; the hint shows the
 * environment-variable way. Where templates are allowed (env values, exec
 * items, script args, cwd, docker, http, sql's url and params) their syntax and names are checked,
 * and values from outside (args, task outputs) are refused where a program
 * would still run them: an argv's code argument, the program itself, a
 * variable read as code (check-code-values.ts, with the rule in argv-code.ts).
 */
import type { CheckContext } from "./check-context.js";
import { checkCodeValues, checkEnvValues } from "./check-code-values.js";
import type { PathSegment } from "./errors.js";
import { entriesOf, rawPipelines, rawTasks, stringLeaves, type RawTask } from "./raw-walk.js";
import { isRecord } from "./is-record.js";
import { suggest } from "./suggest.js";
import { TEMPLATE_FORMS, findTemplates, hasTemplate, parseTemplateExpr, type TemplateRef } from "./templates.js";

/** Fields read as code, and how a script in each reads an environment variable. */
const CODE_FIELDS: Record<string, (variable: string) => string> = {
  run: (variable) => `"$${variable}" in run`,
  shell: (variable) => `"$${variable}" in run`,
  python: (variable) => `os.environ["${variable}"] in python`,
  node: (variable) => `process.env.${variable} in node`,
  script: (variable) => `$${variable} in the script`,
  uv: (variable) => `$${variable} in the script`,
};

const RUN_VARIABLES: Record<string, string> = {
  id: "SPIRE_RUN_ID",
  namespace: "SPIRE_NAMESPACE",
  pipeline: "SPIRE_PIPELINE",
  scheduled_at: "SPIRE_SCHEDULED_AT",
  trigger: "SPIRE_TRIGGER",
};

export function checkTemplates(root: unknown, context: CheckContext): void {
  for (const pipeline of rawPipelines(root)) {
    const args = entriesOf(pipeline.pipeline["args"]).map(([name]) => name);
    for (const [key, value] of entriesOf(pipeline.pipeline["env"])) checkAllowed(context, [...pipeline.path, "env", key], value, args, new Set());
    checkEnvValues(context, [...pipeline.path, "env"], pipeline.pipeline["env"]);
    const notify = pipeline.pipeline["notify"];
    if (Array.isArray(notify)) {
      notify.forEach((entry, index) => {
        const run = entriesOf(entry).find(([key]) => key === "run")?.[1];
        checkForbidden(context, [...pipeline.path, "notify", index, "run"], "run", run);
      });
    }
    for (const task of rawTasks(pipeline)) checkTask(context, task, args);
  }
}

function checkTask(context: CheckContext, task: RawTask, args: string[]): void {
  for (const field of Object.keys(CODE_FIELDS)) {
    if (Object.hasOwn(task.task, field)) checkForbidden(context, [...task.path, field], field, task.task[field]);
  }
  const allowed: { path: PathSegment[]; text: string }[] = [
    ...entriesOf(task.task["env"]).flatMap(([key, value]) => stringLeaves(value, [...task.path, "env", key])),
    ...stringLeaves(task.task["exec"], [...task.path, "exec"]),
    ...stringLeaves(task.task["args"], [...task.path, "args"]),
    ...stringLeaves(task.task["cwd"], [...task.path, "cwd"]),
    ...stringLeaves(task.task["docker"], [...task.path, "docker"]),
    ...stringLeaves(task.task["http"], [...task.path, "http"]),
    ...sqlLeaves(task),
  ];
  checkSqlText(context, task);
  for (const leaf of allowed) checkAllowed(context, leaf.path, leaf.text, args, task.matrixKeys);
  checkCodeValues(context, task);
}

/** Where an sql task takes templates: its url and the values of its params. */
function sqlLeaves(task: RawTask): { path: PathSegment[]; text: string }[] {
  const sql = task.task["sql"];
  if (!isRecord(sql)) return [];
  return [
    ...stringLeaves(sql["url"], [...task.path, "sql", "url"]),
    ...entriesOf(sql["params"]).flatMap(([key, value]) => stringLeaves(value, [...task.path, "sql", "params", key])),
  ];
}

/**
 * The statements are code: a value goes in as a bound parameter. A password
 * written in the URL would be kept with the definition, in the store and in
 * what every API client that reads pipelines sees (read tokens too): it is
 * refused, and the error points at the environment, where the drivers read it.
 */
function checkSqlText(context: CheckContext, task: RawTask): void {
  const sql = task.task["sql"];
  if (!isRecord(sql)) return;
  const url = sql["url"];
  if (typeof url === "string" && /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/?#@]*:[^@]+@/.test(url) && !hasTemplate(url)) {
    context.report([...task.path, "sql", "url"], "the URL holds a password: it would be kept with the pipeline's definition, in the store and in what every API client that reads pipelines sees", {
      hint: "leave it out of the URL and give it as PGPASSWORD (PostgreSQL) or MYSQL_PWD (MySQL, MariaDB) through env_file or secrets",
    });
  }
  for (const field of ["query", "file"]) {
    const value = sql[field];
    if (typeof value !== "string") continue;
    const path = [...task.path, "sql", field];
    for (const template of findTemplates(value)) {
      const hint = field === "query" ? `bind it as a parameter: params: { value: "${template.text}" } and write :value in the query` : "name the file as written; a value for the statements goes in params";
      context.report(path, `a template (\`${template.text}\`) cannot be used in sql.${field}: values never become SQL`, { hint }, context.inside(path, template.text));
    }
  }
}

function checkForbidden(context: CheckContext, path: PathSegment[], field: string, value: unknown): void {
  if (typeof value !== "string") return;
  const readsVariable = CODE_FIELDS[field] ?? CODE_FIELDS["run"]!;
  for (const template of findTemplates(value)) {
    const ref = parseTemplateExpr(template.expr);
    context.report(
      path,
      `a template (\`${template.text}\`) cannot be used in ${field}: values never become code`,
      { hint: envHint(template.expr, ref, readsVariable) },
      context.inside(path, template.text),
    );
  }
}

function envHint(expr: string, ref: TemplateRef | { error: string }, readsVariable: (variable: string) => string): string {
  if (!("error" in ref) && ref.kind === "run") {
    const variable = RUN_VARIABLES[ref.field]!;
    return `it is already in the environment: use ${readsVariable(variable)}`;
  }
  const variable = "error" in ref ? "VALUE" : envName(ref.kind === "args" ? ref.name : ref.key);
  let hint = `pass it through the environment: env: { ${variable}: "\${{ ${expr} }}" } and use ${readsVariable(variable)}`;
  if (!("error" in ref) && ref.kind === "args") hint += ` (args are also in $SPIRE_ARG_${envName(ref.name)})`;
  return hint;
}

/** A name as an environment variable: `target-dir` → `TARGET_DIR`. */
export function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}

function checkAllowed(context: CheckContext, path: PathSegment[], value: unknown, args: string[], matrixKeys: Set<string>): void {
  if (typeof value !== "string") return;
  const templates = findTemplates(value);
  if (value.split("${{").length - 1 > templates.length) {
    context.report(path, "a template is not closed", { expected: "`${{ … }}`" }, context.inside(path, "${{"));
  }
  for (const template of templates) {
    // Only for a report: a place asked for builds the file's Document (see SourceMap), which a valid file never needs.
    const where = () => context.inside(path, template.text);
    const ref = parseTemplateExpr(template.expr);
    if ("error" in ref) {
      context.report(path, `unknown template \`${template.text}\``, { expected: TEMPLATE_FORMS }, where());
    } else if (ref.kind === "args" && !args.includes(ref.name)) {
      const guess = suggest(ref.name, args);
      context.report(path, `\`${template.text}\` names an argument that is not declared`, {
        hint: guess !== undefined ? `did you mean \`args.${guess}\`?` : `declare it under the pipeline's args:${args.length > 0 ? ` (declared: ${args.join(", ")})` : ""}`,
      }, where());
    } else if (ref.kind === "matrix" && !matrixKeys.has(ref.key)) {
      const guess = suggest(ref.key, matrixKeys);
      context.report(path, `\`${template.text}\` is used outside a matrix that has \`${ref.key}\``, {
        hint: guess !== undefined ? `did you mean \`matrix.${guess}\`?` : matrixKeys.size > 0 ? `matrix keys here: ${[...matrixKeys].join(", ")}` : "add matrix: to this task (or an enclosing group)",
      }, where());
    }
  }
}
