/**
 * The one schema of `spire.yaml`. It validates files, gives the TypeScript
 * types of the normalised model (z.output), and generates
 * `schema/spire.schema.json` (z.input, see write-json-schema.ts).
 *
 * Normalisation done here, so that nothing downstream sees the sugar:
 * durations become milliseconds, sizes become bytes, `on_pass` and
 * `depends_on` merge into `needs`, `retries: 3` becomes the full object.
 *
 * Objects are strict (an unknown key is an error with a did-you-mean), and
 * "exactly one of" rules (task payloads, trigger kinds) are checked with
 * refinements rather than unions, because union errors tell a user nothing.
 */
import { z } from "zod";
import { DURATION_PATTERN, SIZE_PATTERN, parseDurationMs, parseSizeBytes } from "./units.js";
import { about } from "./schema-about.js";
import { sqlSchema } from "./sql-schema.js";
import { PARSER_NAMES } from "../exec/parsers/names.js";


/** Names of pipelines, tasks, args and locks: they appear in paths (`checks/size`, `shards[2]`). */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const name = (what: string) =>
  z.string().regex(NAME_PATTERN, {
    message: `a ${what} name: letters, digits, '_', '.' and '-', not starting with '.' or '-'`,
  });

/**
 * A worker label (runs_on, spire worker --labels): what a machine offers,
 * such as gpu, linux or its host name. Host-name characters only, so a label
 * reads the same in YAML, in a comma-separated option and in a URL.
 */
export const LABEL_PATTERN = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/;
const LABEL_RULE = "a worker label: 1 to 64 letters, digits, '.', '_' and '-', not starting with '-'";
export const workerLabel = z.union([
  z
    .string()
    // Labels are matched when the run is planned, before any template has a value: say so rather than "invalid characters".
    .refine((value) => !value.includes("${{"), {
      message: "runs_on holds labels as written, not templates; for copies that need different machines, write one task per machine",
      abort: true,
    })
    .regex(LABEL_PATTERN, { message: LABEL_RULE }),
  // `runs_on: [rtx, 3090]`: YAML reads 3090 as a number, meant as the label. Only whole numbers, whose digits are what was
  // written; 1.10 would come back as 1.1, so such a label must be quoted.
  z.number().transform((value, ctx) => {
    if (value < 0) ctx.addIssue({ code: "custom", message: LABEL_RULE.replace("a worker label:", "a worker label is") });
    else if (!Number.isSafeInteger(value)) ctx.addIssue({ code: "custom", message: `YAML reads this label as the number ${value}; write it in quotes, as it should read` });
    return String(value);
  }),
]);

/**
 * `runs_on`: the labels a worker must all have. One label may be written
 * alone; the model always holds a list. An empty list is refused (it would
 * read as "anywhere", which is not what leaving the key out means), and so is
 * a label listed twice: a worker has a label or not, so a repeat is most
 * likely a slip for another label, and the list stored and shown is the one
 * written.
 */
export const runsOnSchema = z
  .union([workerLabel, z.array(workerLabel).meta({ minItems: 1, uniqueItems: true })])
  .transform((value, ctx): string[] => {
    const labels = typeof value === "string" ? [value] : value;
    if (labels.length === 0) ctx.addIssue({ code: "custom", message: "runs_on needs at least one label; remove the key to run on the engine's machine (under a group's or the pipeline's runs_on, write runs_on: local)" });
    labels.forEach((each, index) => {
      if (labels.indexOf(each) < index) ctx.addIssue({ code: "custom", path: [index], message: `"${each}" is already in the list; a worker has a label or not, so list each label once` });
    });
    return labels;
  });

export const duration = z
  .union([
    z.number().nonnegative(),
    z.string().regex(DURATION_PATTERN, { message: "a duration such as 500ms, 10s, 5m, 1h30m, 2d" }),
  ])
  .transform((value) => parseDurationMs(value)!)
  .meta({ description: "A duration: 500ms, 10s, 5m, 1h30m, 2d, 1w; a bare number is seconds." });

/**
 * A wait that is timed (a timeout, a grace, a delay): Node's timers fire at
 * once for anything past 2^31 - 1 ms, so `timeout: 30d` would end a task as
 * it starts. Longer waits are refused rather than cut short.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const timerDuration = duration.refine((ms) => ms <= MAX_TIMER_MS, { message: "must be at most 24d (24 days and 20 hours is the longest wait Spire can time)" });
/** A time limit: 0 would end everything as it starts (or, taken as "none", mean the opposite of what it says). */
const timeLimit = timerDuration.refine((ms) => ms > 0, { message: "must be more than 0: leave it out for no limit" });

export const size = z
  .union([
    z.number().nonnegative(),
    z.string().regex(SIZE_PATTERN, { message: "a size such as 512MiB, 2GiB, 100kb" }),
  ])
  .transform((value) => parseSizeBytes(value)!)
  .meta({ description: "A size: 512MiB, 2GiB, 1.5G, 100kb; a bare number is bytes." });

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const nameList = (what: string) => z.array(name(what));

/** A task's lock: a name takes one unit, `{ name, count }` several (a license of a tool that counts seats). */
const taskLock = z.union([
  name("lock"),
  z.strictObject({
    name: name("lock").meta(about("The lock's name; its capacity is in the top-level locks: (1 when not declared there).", ["license"])),
    count: z.number().int().min(1).meta(about("Units of the lock the task takes while it runs (at most the lock's capacity).", [2])),
  }).meta({ description: "A lock taken several units at a time." }),
]);

/** Retries multiply a failing task's attempts (each with its log and rows): bounded, like the copies of repeat. */
export const MAX_RETRIES = 100;
const retryCount = z.number().int().nonnegative().max(MAX_RETRIES);

export const retriesSchema = z
  .union([
    retryCount,
    z.strictObject({
      max: retryCount.meta(about(`Attempts after the first one (0 to ${MAX_RETRIES}).`, [3])),
      backoff: timerDuration.optional().meta(about("Delay before the first retry (default 1s); each later one is multiplied by factor.", ["5s"], { default: "1s" })),
      factor: z.number().min(1).optional().meta(about("Each next delay is the previous one times this (default 2; 1 keeps the delay fixed).", [2], { default: 2 })),
      max_delay: timerDuration.optional().meta(about("The longest delay between two attempts, however many came before (default 5m).", ["1m"], { default: "5m" })),
    }),
  ])
  .transform((value) => {
    const given = typeof value === "number" ? { max: value } : value;
    return {
      max: given.max,
      backoff: "backoff" in given && given.backoff !== undefined ? given.backoff : 1_000,
      factor: "factor" in given && given.factor !== undefined ? given.factor : 2,
      max_delay: "max_delay" in given && given.max_delay !== undefined ? given.max_delay : 300_000,
    };
  });
export type Retries = z.output<typeof retriesSchema>;

const httpSchema = z.strictObject({
  url: z.string().min(1).meta(about("The URL to request. A template's value is percent-encoded as one part of it (unless the template starts the URL).", ["http://127.0.0.1:9000/health"])),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET").meta(about("The HTTP method.", ["POST"])),
  headers: z.record(z.string(), z.string()).default({}).meta(about("Request headers, by name; values may hold templates.", [{ "Content-Type": "application/json" }])),
  body: z.string().optional().meta(about("The request body, sent as written (templates rendered).", ['{"target": "${{ args.target }}"}'])),
  expect: z
    .union([
      z.number().int().min(100).max(599),
      z.strictObject({
        status: z
          .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599))])
          .optional()
          .meta(about("The status, or list of statuses, that pass (default: any 2xx).", [[200, 204]])),
        body: z.string().optional().meta(about("A regular expression the response body (its first 1,048,576 characters) must match. No backreference (\\1) or lookaround ((?=, (?!, (?<=, (?<!)): it must be matched in linear time.", ['"status":\\s*"ok"'])),
      }),
    ])
    .optional()
    .meta(about("What counts as success: a status, or { status, body }. Without it, any 2xx status passes.", [200, { status: [200, 204], body: "ok" }])),
  timeout: timeLimit.optional().meta(about("The longest the request may take; past it the task is timed out. Default: the task's timeout, else no limit.", ["30s"])),
});

const dockerSchema = z.strictObject({
  image: z.string().min(1).meta(about("The image; a template from a run's arguments may choose its tag (app:${{ args.version }}), not the image.", ["postgres:16"])),
  command: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .meta(about("The container's argv (a string is split into words like a shell would, before templates are rendered; nothing is expanded). Read like exec: no value from outside in a shell's code.", [["pg_dump", "--version"]])),
  volumes: z.array(z.string()).default([]).meta(about("host:container[:options]; a template's value may not hold ':', nor a '..' segment after a fixed part.", [["/srv/backup:/backup", "./config:/etc/app:ro"]])),
  env: stringMap.default({}).meta(about("Variables set in the container (docker run --env), by name; values may hold templates.", [{ PGHOST: "db" }])),
  workdir: z.string().optional().meta(about("The working folder inside the container (docker run --workdir). Default: the image's.", ["/backup"])),
  pull: z.enum(["missing", "always", "never"]).optional().meta(about("When to pull the image: missing, always or never (docker run --pull). Default: docker's own, missing.", ["always"])),
});

/** Keys that choose what a task runs; exactly one per task. */
export const PAYLOAD_KEYS = ["run", "exec", "python", "node", "script", "uv", "docker", "http", "sql", "group"] as const;
export type PayloadKind = (typeof PAYLOAD_KEYS)[number];

const matrixValue = z.union([z.string(), z.number(), z.boolean()]);

// The fields of a task without `group`, so that their types are inferred
// exactly; `group` (recursive) is added below with explicit types.
const taskFields = z.strictObject({
  description: z.string().optional().meta(about("A note about what the task does, kept with its definition.", ["Dump the app database"])),
  // payloads
  run: z.string().optional().meta(about("A shell command, run with `sh -c` (or `shell:`). No templates: use env variables.", ['pg_dump app > "$TARGET/app.sql"'])),
  shell: z.string().optional().meta(about("The shell for `run`: sh, bash, zsh, …", ["bash"], { default: "sh" })),
  exec: z
    .array(z.union([z.string(), z.number(), z.boolean()]).transform(String))
    .min(1)
    .optional()
    .meta(
      about(
        "argv, run without a shell. ${{ args.X }} and ${{ tasks.T.outputs.K }} may not be the program, a script it loads, a code argument (sh -c, python3 -c, node -e, …), any argument of a program that reads commands (sqlite3, psql, vim, gdb, tmux, …), or an option (for a program Spire does not know, a value starting a word before any -- may not start with -). Pass a value after the code ([sh, -c, 'echo \"$1\"', sh, \"${{ args.x }}\"]) or through env.",
        [["gzip", "-f", "${{ args.target }}/app.sql"]],
      ),
    ),
  python: z.string().optional().meta(about("Inline Python code, run with python3 (or `interpreter:`).", ["import os; print(os.getloadavg()[0])"])),
  node: z.string().optional().meta(about("Inline JavaScript code, run with the node that runs Spire.", ["console.log(process.version)"])),
  script: z.string().optional().meta(about("A script file: .py with python3, .js/.mjs/.ts with node, others executed directly.", ["./scripts/report.py"])),
  uv: z.string().optional().meta(about("A Python file run with `uv run --script`.", ["./tools/fetch.py"])),
  interpreter: z.string().optional().meta(about("The interpreter for python/script tasks.", ["python3.12"])),
  args: z
    .array(z.union([z.string(), z.number()]).transform(String))
    .optional()
    .meta(about("Arguments after the code or script (run: $1…, python: sys.argv[1:], node: process.argv[1:], script, uv, exec): data, never code.", [["--full", "${{ args.target }}"]])),
  docker: dockerSchema.optional().meta(about("Run a container with the docker CLI (docker run --rm), named after the attempt so that a cancel can stop it.", [{ image: "postgres:16", command: ["pg_dump", "--version"] }])),
  http: httpSchema.optional().meta(about("An HTTP request made by the engine itself, no process: the task passes when the answer is what expect says.", [{ url: "http://127.0.0.1:9000/health", expect: 200 }])),
  sql: sqlSchema
    .optional()
    .meta(about("SQL statements run by the engine itself through the database's driver (PostgreSQL, MySQL/MariaDB or SQLite), in one transaction; the last one's single row gives outputs.", [{ url: "postgres://app@127.0.0.1/app", query: "DELETE FROM sessions WHERE expires < now()" }])),
  // arrays
  repeat: z.number().int().min(1).max(10_000).optional().meta(about("Run this many copies of the task (1 to 10,000), each with its index in SPIRE_ARRAY_INDEX (0, 1, …); its path is name[i].", [4])),
  matrix: z
    .record(name("matrix key"), z.array(matrixValue).min(1))
    .optional()
    .meta(about("Run one copy for each combination of the values, each with ${{ matrix.KEY }} and SPIRE_MATRIX_<KEY>.", [{ python: ["3.11", "3.12"], os: ["debian", "alpine"] }])),
  parallel: z.number().int().min(1).optional().meta(about("With repeat or matrix: how many copies run at once. Default: as many as the engine's parallelism allows.", [2])),
  // conditions
  needs: nameList("task").optional().meta(about("Tasks that must all pass before this one starts; when one fails, this one is skipped.", [["dump"]])),
  on_pass: nameList("task").optional().meta(about("The same as needs (prunner's name).", [["dump"]])),
  depends_on: nameList("task").optional().meta(about("The same as needs (the name other tools use).", [["dump"]])),
  on_fail: nameList("task").optional().meta(about("Run only when one of these tasks failed (for an alert or a rollback); otherwise skipped.", [["dump", "compress"]])),
  on_done: nameList("task").optional().meta(about("Run once these tasks finished, passed or not (for a cleanup).", [["compress"]])),
  // how it runs
  env: stringMap
    .optional()
    .meta(about("Variables for this task (and a group's tasks), over the pipeline's. Values may hold templates such as ${{ args.target }}: the way to hand a value to run:.", [{ TARGET: "${{ args.target }}", LEVEL: 9 }])),
  env_file: z.string().optional().meta(about("A dotenv file (KEY=VALUE lines), relative to the definitions file, whose variables the task gets; its values are secrets, masked as *** in logs and API output.", [".env.backup"])),
  cwd: z.string().optional().meta(about("The folder the task runs in, relative to the definitions file's folder (the default). May hold templates; a value after a fixed part may not hold a '..' segment.", ["./reports"])),
  timeout: timeLimit.optional().meta(about("The longest one attempt may run (up to 24d); then its process group gets SIGTERM, SIGKILL after kill_grace, and the attempt is timed_out. Default: no limit.", ["10m"])),
  kill_grace: timerDuration.optional().meta(about("On timeout or cancel, how long the task has between SIGTERM and SIGKILL.", ["30s"], { default: "10s" })),
  retries: retriesSchema
    .optional()
    .meta(about("Attempts after a failure, timeout or interruption: a number, or { max, backoff, factor, max_delay }. Default: none.", [3, { max: 3, backoff: "5s", factor: 2, max_delay: "1m" }])),
  allow_failure: z.boolean().optional().meta(about("true: a failure is recorded but does not fail the run, and tasks that need this one still run. A group passes it to its tasks.", [true], { default: false })),
  limits: z
    .strictObject({
      memory: size.optional().meta(about("The most memory (resident set) the task's processes may use; past it the task is ended.", ["2GiB"])),
      cpu_time: duration.optional().meta(about("The most CPU time (user + system) the task's processes may use; past it the task is ended.", ["5m"])),
    })
    .optional()
    .meta(about("Hard limits: the task is ended, with that reason, when it goes past one.", [{ memory: "2GiB", cpu_time: "5m" }])),
  resources: z
    .strictObject({
      cpus: z.number().positive().optional().meta(about("CPUs reserved while the task runs (fractions allowed); a task asking for more than the engine has fails at once.", [2])),
      memory: size.optional().meta(about("Memory reserved while the task runs; a task asking for more than the engine has fails at once.", ["1GiB"])),
    })
    .optional()
    .meta(about("What the task reserves from the engine's capacity while it runs: it starts when all of it is free. Bookkeeping only: use limits to confine it.", [{ cpus: 2, memory: "1GiB" }])),
  runs_on: runsOnSchema
    .optional()
    .meta(
      about(
        "The labels a worker (a machine that runs tasks for the engine) must all have to run this task; one label may be written alone. A group's applies to its tasks, unless one has its own. Default: the enclosing group's, else the pipeline's, else none: the task runs on the engine's own machine (runs_on: local chooses it under a group's or pipeline's runs_on).",
        [["gpu", "linux"], "gpu"],
      ),
    ),
  locks: z.array(taskLock).optional().meta(about("Locks held while the task runs: a name takes one unit, { name, count } several; capacities are the top-level locks:.", [["db", { name: "license", count: 2 }]])),
  artifacts: z
    .array(z.string())
    .optional()
    .meta(about("Glob patterns, relative to the task's folder, of files kept with the run when an attempt ends (failed too); tasks that need this one find them in $SPIRE_ARTIFACTS/../NAME.", [["*.gz", "reports/**"]])),
  warn_pattern: z.string().optional().meta(about("A regular expression: output lines that match count as warnings (as ::warning:: lines do). No backreference (\\1) or lookaround ((?=, (?!, (?<=, (?<!)): it must be matched in linear time.", ["^WARN"])),
  error_pattern: z.string().optional().meta(about("A regular expression: output lines that match count as errors (as ::error:: lines do); the task's result still comes from its exit code. No backreference (\\1) or lookaround ((?=, (?!, (?<=, (?<!)): it must be matched in linear time.", ["ERROR|FATAL"])),
  parser: z
    .enum(PARSER_NAMES)
    .optional()
    .meta(
      about(
        "A tool whose output the task prints: its warnings and errors are counted the tool's own way and their texts kept (beside warn_pattern and error_pattern). gcc and clang: `file:line:col: warning: …` lines; pytest: FAILED/ERROR lines and warnings, totals from its last line; eslint: the default (stylish) output, totals from `✖ N problems (E errors, W warnings)`; tap: `not ok` lines (not # TODO or # SKIP), the total from `# fail N`.",
        ["pytest"],
      ),
    ),
  secrets: z.array(z.string()).optional().meta(about("Variables passed from the engine's own environment to the run's tasks, masked as *** in logs and API output (as the pipeline's secrets).", [["AWS_SECRET_ACCESS_KEY"]])),
});

type TaskInput = z.input<typeof taskFields> & { group?: Record<string, TaskInput> };
type TaskOutputBase = z.output<typeof taskFields> & { group?: Record<string, TaskDef> };

const taskObject = taskFields.extend({
  get group(): z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodType<TaskDef, TaskInput>>> {
    return z
      .record(name("task"), taskSchema)
      .optional()
      .meta(about("Tasks run as one: a nested graph whose tasks see each other by name; the group passes when all of them pass. Its env, allow_failure and runs_on apply to them.", [{ size: { run: "du -sh /srv/backup" }, ping: { http: { url: "http://127.0.0.1:9000/health" } } }]));
  },
});

export interface TaskDef extends Omit<TaskOutputBase, "group" | "on_pass" | "depends_on" | "needs" | "on_fail" | "on_done"> {
  /** The payload kind (exactly one per task). */
  kind: PayloadKind;
  /** `needs`, `on_pass` and `depends_on` merged, in that order, without duplicates. */
  needs: string[];
  on_fail: string[];
  on_done: string[];
  group?: Record<string, TaskDef>;
}

function normaliseTask(task: TaskOutputBase, ctx: z.RefinementCtx): TaskDef {
  const present = PAYLOAD_KEYS.filter((key) => task[key] !== undefined);
  if (present.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message:
        present.length === 0
          ? `a task needs exactly one of: ${PAYLOAD_KEYS.join(", ")}`
          : `a task has exactly one payload, found ${present.join(" and ")}`,
      params: { spire: present.length === 0 ? "payload-missing" : "payload-many" },
    });
  }
  if (task.repeat !== undefined && task.matrix !== undefined) {
    ctx.addIssue({ code: "custom", message: "use either repeat or matrix, not both", path: ["matrix"] });
  }
  if (task.parallel !== undefined && task.repeat === undefined && task.matrix === undefined) {
    ctx.addIssue({ code: "custom", message: "parallel applies to repeat or matrix; add one or remove parallel", path: ["parallel"] });
  }
  if (task.shell !== undefined && task.run === undefined) {
    ctx.addIssue({ code: "custom", message: "shell applies to run; remove it or use run", path: ["shell"] });
  }
  const merged = [...(task.needs ?? []), ...(task.on_pass ?? []), ...(task.depends_on ?? [])];
  const { on_pass: _p, depends_on: _d, group, ...rest } = task;
  const def: TaskDef = {
    ...rest,
    kind: present[0] ?? "run",
    needs: [...new Set(merged)],
    on_fail: [...new Set(task.on_fail ?? [])],
    on_done: [...new Set(task.on_done ?? [])],
  };
  if (group !== undefined) def.group = group as Record<string, TaskDef>;
  return def;
}

export const taskSchema: z.ZodType<TaskDef, TaskInput> = taskObject
  .transform(normaliseTask)
  .meta({ id: "task", description: "A task: exactly one payload (run, exec, python, node, script, uv, docker, http, sql or group), and how to run it." });

/** `name`, or `namespace/name` (names cannot hold a '/'). */
const AFTER_PIPELINE_PATTERN = new RegExp(`^(?:${NAME_PATTERN.source.slice(1, -1)}/)?${NAME_PATTERN.source.slice(1, -1)}$`);

const MAX_INTERVAL_MS = 100 * 365 * 86_400_000;

export const TRIGGER_KEYS = ["cron", "every", "at", "watch", "webhook", "after"] as const;
export type TriggerKind = (typeof TRIGGER_KEYS)[number];

const triggerObject = z.strictObject({
  cron: z
    .string()
    .optional()
    .meta(about("A cron expression read in `timezone`: 5 fields, or 6 with seconds first; @hourly @daily @weekly @monthly @yearly; L W # ? and names. A slot in a DST gap runs once at the first valid instant.", ["0 3 * * *", "*/15 9-17 * * MON-FRI"])),
  every: duration.optional().meta(about("A fixed rate (start to start), 50ms to 100y; see after_finish and align for other ways to count.", ["15m", "1h30m"])),
  after_finish: z.boolean().optional().meta(about("With every: wait this long after the previous run finished (a fixed delay, as watch(1) without -p) instead of a fixed rate.", [true], { default: false })),
  align: z.boolean().optional().meta(about("With every: fire on multiples of the interval on the clock (every 15m at :00, :15, :30, :45; 1d and longer at local midnight), not counted from when the pipeline was applied.", [true], { default: false })),
  at: z.string().optional().meta(about("Once, at this ISO 8601 time; without an offset it is read in `timezone`. spire validate warns about a time already past.", ["2026-12-24T18:00:00+01:00"])),
  watch: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .optional()
    .meta({
      description:
        "Files or folders to watch (folders with everything below them), relative to the definitions file's folder. A path that does not exist yet is picked up when it appears. The run's trigger lists the changed paths. Changes while the run this trigger started is under way, and for its debounce after it ends, start nothing: a pipeline may write into what it watches. With several engines on one PostgreSQL, the engine that leads watches them, on its machine.",
      examples: ["./inbox", ["./inbox", "config.toml"]],
    }),
  debounce: timerDuration
    .optional()
    .meta(about("With watch: a burst of changes starts one run, once no change came for this long (a duration such as 500ms or 2s; default 500ms).", ["2s"], { default: "500ms" })),
  webhook: z
    .literal(true)
    .optional()
    .meta(about("true: POST /api/v1/hooks/{ns}/{pipeline} with the pipeline's own hook token starts a run (spire hook PIPELINE shows both); a JSON body's args override the trigger's.", [true])),
  after: z
    .strictObject({
      pipeline: z.string().regex(AFTER_PIPELINE_PATTERN, { message: "a pipeline name, or namespace/pipeline for one in another namespace" }).meta({
        description: "The pipeline whose runs are followed: a name in this namespace, or namespace/name.",
        examples: ["ingest", "etl/ingest"],
      }),
      status: z.enum(["success", "failure", "any"]).default("success").meta({
        description:
          "success: it succeeded; failure: it failed or was interrupted; any: either. Canceled and skipped runs start nothing. Chains of after triggers stop after 32 runs in a row.",
        examples: ["failure"],
      }),
    })
    .optional()
    .meta(about("Start when another pipeline's run finished with this status.", [{ pipeline: "ingest", status: "success" }])),
  timezone: z.string().optional().meta(about("IANA time zone; default: the engine's local zone.", ["Europe/Berlin"])),
  args: stringMap.optional().meta(about("Run arguments for the runs this trigger starts, by name, checked like any run's arguments.", [{ level: "fast" }])),
  start: z.string().optional().meta(about("The trigger fires nothing before this time (ISO 8601; without an offset, read in `timezone`).", ["2026-01-01T00:00:00"])),
  end: z.string().optional().meta(about("The trigger fires nothing from this time on (ISO 8601, after start); spire validate warns when it is already past.", ["2026-12-31T23:59:59"])),
  jitter: duration
    .optional()
    .meta(about("Delay each slot by up to this much, to spread runs that would all start at once: the same delay for the same slot on every engine and after a restart. At most 100y.", ["30s"])),
  name: name("trigger").optional().meta(about("A label for the trigger, for people reading the file; Spire does not use it.", ["nightly"])),
}).meta({ description: "A trigger: exactly one of cron, every, at, watch, webhook or after, and the keys that go with it." });

export type TriggerDef = z.output<typeof triggerObject> & { kind: TriggerKind };

export const triggerSchema = triggerObject.transform((trigger, ctx): TriggerDef => {
  const present = TRIGGER_KEYS.filter((key) => trigger[key] !== undefined);
  if (present.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message:
        present.length === 0
          ? `a trigger needs exactly one of: ${TRIGGER_KEYS.join(", ")}`
          : `a trigger has exactly one kind, found ${present.join(" and ")}`,
    });
  }
  if (trigger.every !== undefined && trigger.every < 50) {
    ctx.addIssue({ code: "custom", message: "every must be at least 50ms", path: ["every"] });
  }
  // Slots further apart than this would fall past the dates a calendar (and a JavaScript Date) holds.
  for (const key of ["every", "jitter"] as const) {
    if ((trigger[key] ?? 0) > MAX_INTERVAL_MS) ctx.addIssue({ code: "custom", message: `${key} must be at most 100y`, path: [key] });
  }
  if (trigger.after_finish !== undefined && trigger.every === undefined) {
    ctx.addIssue({ code: "custom", message: "after_finish applies to every", path: ["after_finish"] });
  }
  if (trigger.debounce !== undefined && trigger.watch === undefined) {
    ctx.addIssue({ code: "custom", message: "debounce applies to watch; for runs that wait and coalesce, put debounce on the pipeline", path: ["debounce"] });
  }
  return { ...trigger, kind: present[0] ?? "cron" };
});

const argScalar = z.union([z.string(), z.number(), z.boolean()]);
const argObject = z.strictObject({
  type: z
    .enum(["string", "number", "integer", "boolean"])
    .default("string")
    .meta(about("What the value is. A boolean is given as true/false, 1/0 or yes/no; a number or integer as digits.", ["boolean"])),
  default: argScalar.optional().meta(about("The value when a run gives none.", ["/srv/backup"])),
  enum: z.array(argScalar).min(1).optional().meta(about("The only values allowed.", [["fast", "best"]])),
  pattern: z.string().optional().meta(about("A regular expression the value must match, checked within 100 ms (a value that makes it backtrack longer is refused).", ["^/"])),
  required: z.boolean().default(false).meta(about("true: a run that gives no value is refused (a default counts as a value).", [true])),
  description: z.string().optional().meta(about("What the argument is for, for people who start runs.", ["Where the dump is written"])),
  secret: z.boolean().optional().meta(about("true: the value is masked as *** in logs, events and API output; it has no default in the file.", [true], { default: false })),
})
  .superRefine((arg, ctx) => {
    // A default is part of the definition, which is stored and shown to every reader: a secret there would be neither.
    if (arg.secret === true && arg.default !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["default"],
        message: "a secret argument has no default in the file (the definition is stored and shown to readers): give the value when starting a run (spire run PIPELINE --arg NAME=VALUE), or have the task read it from secrets: or env_file",
      });
    }
  })
  .meta({ description: "A run argument: its type, default and checks. Written as a bare value, that value is its default and gives its type." });
/** An argument declaration; a bare scalar is shorthand for its default (and type). */
export const argSchema = z.union([
  argScalar.transform((value): z.output<typeof argObject> => ({
    type: typeof value === "string" ? "string" : typeof value === "number" ? "number" : "boolean",
    default: value,
    required: false,
  })),
  argObject,
]);
export type ArgDef = z.output<typeof argSchema>;

const NOTIFY_CHANNELS = ["webhook", "mqtt", "run"] as const;

export const notifySchema = z.strictObject({
  on: z
    .array(z.enum(["success", "failure", "recovered", "started", "missed"]))
    .min(1)
    .meta(about("When to send: started; success; failure (failed or interrupted); recovered (a success after a failure); missed (slots of a time trigger that did not run). Canceled and skipped runs send nothing.", [["failure", "recovered"]])),
  webhook: z
    .union([
      z.string().min(1),
      z.strictObject({
        url: z.string().min(1).meta(about("An http:// or https:// URL; user:password@ in it is sent as Basic authorization.", ["https://hooks.example.org/spire"])),
        headers: z.record(z.string(), z.string()).optional().meta(about("Request headers to add, by name.", [{ "X-Team": "ops" }])),
        timeout: timeLimit.optional().meta(about("How long one attempt may take.", ["5s"], { default: "10s" })),
        retries: z.number().int().nonnegative().optional().meta(about("Attempts after a failed one (network error, 5xx or 429), 1s, 2s, 4s… apart; another 4xx is final.", [5], { default: 3 })),
      }),
    ])
    .optional()
    .meta(about("POST the notification as JSON ({ event, text, run }) to this URL, or to { url, headers, timeout, retries }.", ["http://127.0.0.1:8080/hook"])),
  mqtt: z
    .strictObject({
      url: z.string().min(1).meta(about("The broker: mqtt://, mqtts://, ws:// or wss://.", ["mqtt://127.0.0.1:1883"])),
      topic: z.string().min(1).meta(about("The topic to publish to.", ["spire/backup"])),
      qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1).meta(about("MQTT quality of service: 0, 1 or 2.", [2])),
    })
    .optional()
    .meta(about("Publish the notification as JSON to an MQTT broker, one connection per delivery, retried like a webhook.", [{ url: "mqtt://127.0.0.1:1883", topic: "spire/backup" }])),
  run: z
    .string()
    .optional()
    .meta(about("A shell command (sh -c, in the definitions file's folder), with the event in SPIRE_NOTIFY_EVENT, SPIRE_NOTIFY_TEXT and SPIRE_RUN_JSON; ended after 60s, never retried.", ["./say-done.sh"])),
}).meta({ description: "A notification: the moments it is sent (on) and exactly one channel (webhook, mqtt or run). Every channel gets the same JSON: { event, text, run }." }).superRefine((entry, ctx) => {
  const channels = NOTIFY_CHANNELS.filter((key) => entry[key] !== undefined);
  if (channels.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: channels.length === 0 ? `a notification needs exactly one of: ${NOTIFY_CHANNELS.join(", ")}` : `a notification has exactly one channel, found ${channels.join(" and ")}; write one entry per channel`,
    });
  }
  const url = typeof entry.webhook === "string" ? entry.webhook : entry.webhook?.url;
  if (url !== undefined && !/^https?:\/\/[^\s/]/.test(url)) {
    ctx.addIssue({ code: "custom", message: "a webhook URL starts with http:// or https://", path: typeof entry.webhook === "string" ? ["webhook"] : ["webhook", "url"] });
  }
  if (entry.mqtt !== undefined && !/^(mqtts?|wss?|tcp|ssl):\/\/[^\s/]/.test(entry.mqtt.url)) {
    ctx.addIssue({ code: "custom", message: "an MQTT broker URL starts with mqtt://, mqtts://, ws:// or wss://", path: ["mqtt", "url"] });
  }
});
export type NotifyDef = z.output<typeof notifySchema>;

export const pipelineSchema = z.strictObject({
  description: z.string().optional().meta(about("What the pipeline does, in a line: spire ls shows it.", ["Nightly database backup"])),
  metadata: z.record(z.string(), z.unknown()).optional().meta(about("Free-form data kept with the pipeline (an owner, a link); Spire does not read it.", [{ owner: "jane" }])),
  triggers: z
    .array(triggerSchema)
    .default([])
    .meta(about("What starts runs; each entry has exactly one of cron, every, at, watch, webhook or after. Without any, runs start only by hand (spire run, the API). Paused pipelines fire none.", [[{ cron: "0 3 * * *", timezone: "Europe/Berlin" }, { webhook: true }]])),
  catchup: z
    .enum(["none", "latest", "all"])
    .default("latest")
    .meta(about("Slots of time triggers missed while the engine was down or the machine slept: none runs none of them, latest runs the last one, all runs each (up to catchup_limit).", ["none"])),
  // Each missed slot it allows is walked and may become a run when the engine starts: bounded.
  catchup_limit: z.number().int().min(1).max(1_000).default(100).meta(about("With catchup: all, the most missed slots that run (1 to 1000).", [10])),
  args: z
    .record(name("argument"), argSchema)
    .default({})
    .meta(about("Run arguments, by name, checked before a run is made; tasks read them as $SPIRE_ARG_<NAME> or ${{ args.NAME }}. A bare value is the default (and gives the type).", [{ target: { default: "/srv/backup", pattern: "^/" }, full: false }])),
  concurrency: z.number().int().min(1).default(1).meta(about("How many runs of this pipeline may run at once; the next ones wait in the queue.", [2])),
  queue: z
    .strictObject({
      limit: z.number().int().nonnegative().default(10).meta(about("How many runs may wait; 0 refuses a new run while one is running.", [5])),
      strategy: z
        .enum(["append", "replace", "preempt"])
        .default("append")
        .meta(about("When the queue is full: append refuses the new run; replace lets it take the last waiting place (that run is skipped); preempt cancels the oldest running run.", ["replace"])),
      partition_limit: z
        .number()
        .int()
        .min(1)
        .optional()
        .meta(about("Give each partition (set when a run is started: spire run --partition) this many waiting places of its own, instead of limit for all.", [1])),
    })
    .default({ limit: 10, strategy: "append" })
    .meta(about("What happens to a run that cannot start yet because concurrency runs are under way.", [{ limit: 5, strategy: "append" }])),
  debounce: timerDuration
    .optional()
    .meta(about("A new run waits this long before it starts, and runs triggered meanwhile coalesce into it (the newest takes its place). Up to 24d; default: no wait.", ["2s"])),
  locks: nameList("lock")
    .default([])
    .meta(about("Locks held for the whole run, shared with other pipelines and with tasks; each lock's capacity (the top-level locks:, else 1) bounds how many hold it at once.", [["db"]])),
  fail_fast: z.boolean().default(false).meta(about("true: the first failed task cancels the tasks still running, and the run fails.", [true])),
  runs_on: runsOnSchema
    .optional()
    .meta(about("The labels a worker (a machine that runs tasks for the engine) must all have to run the pipeline's tasks, unless a group or task has its own runs_on. Default: none, the tasks run on the engine's own machine.", [["linux"], "backup-host"])),
  parallelism: z.number().int().min(1).optional().meta(about("Tasks of one run at once (default: the engine's limit).", [4])),
  timeout: timeLimit.optional().meta(about("The longest a run may take (up to 24d); past it the run fails and its running tasks are canceled. Default: no limit.", ["2h"])),
  retention: z
    .strictObject({
      keep: z.number().int().min(1).optional().meta(about("The newest finished runs kept.", [100])),
      days: z.number().positive().optional().meta(about("Days a finished run is kept after it finished (fractions allowed).", [30])),
    })
    .optional()
    .meta(about("Which finished runs stay, with their logs and artifacts; the newest finished run always does. Default: the engine's (spire engine --keep-runs, --keep-days).", [{ keep: 100, days: 30 }])),
  env: stringMap.default({}).meta(about("Variables for every task (a task's or group's env overrides them). Values may hold templates such as ${{ args.target }}.", [{ PGHOST: "localhost" }])),
  env_file: z.string().optional().meta(about("A dotenv file (KEY=VALUE lines), relative to the definitions file, whose variables every task gets; its values are secrets, masked as *** in logs and API output.", [".env"])),
  secrets: z.array(z.string()).default([]).meta(about("Variables passed from the engine's own environment to every task, masked as *** in logs and API output.", [["GITHUB_TOKEN"]])),
  notify: z
    .array(notifySchema)
    .default([])
    .meta(about("Notifications, sent by the engine off the run's path (a failed one never changes the run); each entry has on: and one channel: webhook, mqtt or run.", [[{ on: ["failure", "recovered"], webhook: "http://127.0.0.1:8080/hook" }]])),
  tasks: z
    .record(name("task"), taskSchema)
    .meta(about("The tasks, by name. Tasks without needs, on_fail or on_done start at once, side by side.", [{ dump: { run: "pg_dump app > app.sql" }, compress: { needs: ["dump"], exec: ["gzip", "-f", "app.sql"] } }])),
}).meta({ description: "A pipeline: a graph of tasks, with its triggers, arguments, queue policy, retention and notifications." });
export type PipelineDef = z.output<typeof pipelineSchema>;

/** Top-level keys Spire ignores, as docker-compose does: where anchors that pipelines reuse can live. */
export const EXTENSION_KEY = /^x-/;

export const spireFileSchema = z.strictObject({
  $schema: z.string().optional().meta(about("Where editors find this schema (in a JSON file; YAML files use a `# yaml-language-server: $schema=…` comment). Spire ignores it.", ["./node_modules/spire/schema/spire.schema.json"])),
  namespace: name("namespace")
    .optional()
    .meta(about("The group the file's pipelines belong to; spire apply --ns overrides it. Default: a short digest of host, user and the file's absolute path.", ["home"])),
  metadata: z.record(z.string(), z.unknown()).optional().meta(about("Free-form data about the file, kept with its namespace; author: is shown by spire ns.", [{ author: "jane" }])),
  locks: z
    .record(name("lock"), z.number().int().min(1))
    .default({})
    .meta(about("The capacity of each counted lock, by name: how many units runs and tasks may hold at once. A lock not declared here has capacity 1.", [{ db: 1, license: 2 }])),
  pipelines: z.record(name("pipeline"), pipelineSchema).meta(about("The pipelines, by name.", [{ hello: { tasks: { greet: { run: "echo hello" } } } }])),
});
export type SpireFile = z.output<typeof spireFileSchema>;
export type SpireFileInput = z.input<typeof spireFileSchema>;
