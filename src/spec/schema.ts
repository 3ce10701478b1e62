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

/** Names of pipelines, tasks, args and locks: they appear in paths (`checks/size`, `shards[2]`). */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const name = (what: string) =>
  z.string().regex(NAME_PATTERN, {
    message: `a ${what} name: letters, digits, '_', '.' and '-', not starting with '.' or '-'`,
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
const taskLock = z.union([name("lock"), z.strictObject({ name: name("lock"), count: z.number().int().min(1) })]);

/** Retries multiply a failing task's attempts (each with its log and rows): bounded, like the copies of repeat. */
export const MAX_RETRIES = 100;
const retryCount = z.number().int().nonnegative().max(MAX_RETRIES);

export const retriesSchema = z
  .union([
    retryCount,
    z.strictObject({
      max: retryCount.meta({ description: `Attempts after the first (at most ${MAX_RETRIES}).` }),
      backoff: timerDuration.optional().meta({ description: "Delay before the first retry (default 1s)." }),
      factor: z.number().min(1).optional().meta({ description: "Each next delay is multiplied by this (default 2)." }),
      max_delay: timerDuration.optional().meta({ description: "Upper bound of a delay (default 5m)." }),
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
  url: z.string().min(1),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET"),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  expect: z
    .union([
      z.number().int().min(100).max(599),
      z.strictObject({
        status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599))]).optional(),
        body: z.string().optional().meta({ description: "A regular expression the response body must match." }),
      }),
    ])
    .optional(),
  timeout: timerDuration.optional(),
});

const dockerSchema = z.strictObject({
  image: z.string().min(1).meta({ description: "The image; a template from a run's arguments may choose its tag (app:${{ args.version }}), not the image." }),
  command: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .meta({ description: "The container's argv (a string is split into words like a shell would, before templates are rendered; nothing is expanded). Read like exec: no value from outside in a shell's code." }),
  volumes: z.array(z.string()).default([]).meta({ description: "host:container[:options]; a template's value may not hold ':', nor a '..' segment after a fixed part." }),
  env: stringMap.default({}),
  workdir: z.string().optional(),
  pull: z.enum(["missing", "always", "never"]).optional(),
});

/** Keys that choose what a task runs; exactly one per task. */
export const PAYLOAD_KEYS = ["run", "exec", "python", "node", "script", "uv", "docker", "http", "group"] as const;
export type PayloadKind = (typeof PAYLOAD_KEYS)[number];

const matrixValue = z.union([z.string(), z.number(), z.boolean()]);

// The fields of a task without `group`, so that their types are inferred
// exactly; `group` (recursive) is added below with explicit types.
const taskFields = z.strictObject({
  description: z.string().optional(),
  // payloads
  run: z.string().optional().meta({ description: "A shell command, run with `sh -c` (or `shell:`). No templates: use env variables." }),
  shell: z.string().optional().meta({ description: "The shell for `run`: sh, bash, zsh, …" }),
  exec: z
    .array(z.union([z.string(), z.number(), z.boolean()]).transform(String))
    .min(1)
    .optional()
    .meta({
      description:
        "argv, run without a shell. ${{ args.X }} and ${{ tasks.T.outputs.K }} may not stand where a program would run them: the program, a script it loads, a shell's or interpreter's code argument (sh -c, python3 -c, node -e, …), or where it still reads options; pass a value as an argument after the code ([sh, -c, 'echo \"$1\"', sh, \"${{ args.x }}\"]) or through env.",
    }),
  python: z.string().optional().meta({ description: "Inline Python code." }),
  node: z.string().optional().meta({ description: "Inline JavaScript code." }),
  script: z.string().optional().meta({ description: "A script file: .py with python3, .js/.mjs/.ts with node, others executed directly." }),
  uv: z.string().optional().meta({ description: "A Python file run with `uv run --script`." }),
  interpreter: z.string().optional().meta({ description: "The interpreter for python/script tasks." }),
  args: z.array(z.union([z.string(), z.number()]).transform(String)).optional().meta({ description: "Arguments after the code or script (run: $1…, python: sys.argv[1:], node: process.argv[1:], script, uv, exec): data, never code." }),
  docker: dockerSchema.optional(),
  http: httpSchema.optional(),
  // arrays
  repeat: z.number().int().min(1).max(10_000).optional(),
  matrix: z.record(name("matrix key"), z.array(matrixValue).min(1)).optional(),
  parallel: z.number().int().min(1).optional(),
  // conditions
  needs: nameList("task").optional(),
  on_pass: nameList("task").optional(),
  depends_on: nameList("task").optional(),
  on_fail: nameList("task").optional(),
  on_done: nameList("task").optional(),
  // how it runs
  env: stringMap.optional(),
  env_file: z.string().optional(),
  cwd: z.string().optional(),
  timeout: timerDuration.optional(),
  kill_grace: timerDuration.optional(),
  retries: retriesSchema.optional(),
  allow_failure: z.boolean().optional(),
  limits: z.strictObject({ memory: size.optional(), cpu_time: duration.optional() }).optional(),
  resources: z.strictObject({ cpus: z.number().positive().optional(), memory: size.optional() }).optional(),
  locks: z.array(taskLock).optional().meta({ description: "Locks held while the task runs: a name takes one unit, { name, count } several; capacities are the top-level locks:." }),
  artifacts: z.array(z.string()).optional(),
  warn_pattern: z.string().optional(),
  error_pattern: z.string().optional(),
  secrets: z.array(z.string()).optional(),
});

type TaskInput = z.input<typeof taskFields> & { group?: Record<string, TaskInput> };
type TaskOutputBase = z.output<typeof taskFields> & { group?: Record<string, TaskDef> };

const taskObject = taskFields.extend({
  get group(): z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodType<TaskDef, TaskInput>>> {
    return z.record(name("task"), taskSchema).optional();
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
  .meta({ id: "task", description: "A task: exactly one payload (run, exec, python, node, script, uv, docker, http or group), and how to run it." });

/** `name`, or `namespace/name` (names cannot hold a '/'). */
const AFTER_PIPELINE_PATTERN = new RegExp(`^(?:${NAME_PATTERN.source.slice(1, -1)}/)?${NAME_PATTERN.source.slice(1, -1)}$`);

const MAX_INTERVAL_MS = 100 * 365 * 86_400_000;

export const TRIGGER_KEYS = ["cron", "every", "at", "watch", "webhook", "after"] as const;
export type TriggerKind = (typeof TRIGGER_KEYS)[number];

const triggerObject = z.strictObject({
  cron: z.string().optional().meta({ description: "5 fields, or 6 with seconds first; @hourly @daily @weekly @monthly @yearly; L W # ? and names." }),
  every: duration.optional().meta({ description: "A fixed rate (start to start), 50ms to 100y." }),
  after_finish: z.boolean().optional().meta({ description: "With every: wait this long after the previous run finished." }),
  align: z.boolean().optional().meta({ description: "With every: fire on multiples of the interval on the clock." }),
  at: z.string().optional().meta({ description: "Once, at this ISO 8601 time." }),
  watch: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .optional()
    .meta({
      description:
        "Files or folders to watch (folders with everything below them), relative to the definitions file's folder. A path that does not exist yet is picked up when it appears. The run's trigger lists the changed paths. Changes while the run this trigger started is under way, and for its debounce after it ends, start nothing: a pipeline may write into what it watches.",
    }),
  debounce: timerDuration
    .optional()
    .meta({ description: "With watch: a burst of changes starts one run, once no change came for this long (a duration such as 500ms or 2s; default 500ms)." }),
  webhook: z.literal(true).optional(),
  after: z
    .strictObject({
      pipeline: z.string().regex(AFTER_PIPELINE_PATTERN, { message: "a pipeline name, or namespace/pipeline for one in another namespace" }).meta({
        description: "The pipeline whose runs are followed: a name in this namespace, or namespace/name.",
      }),
      status: z.enum(["success", "failure", "any"]).default("success").meta({
        description:
          "success: it succeeded; failure: it failed or was interrupted; any: either. Canceled and skipped runs start nothing. Chains of after triggers stop after 32 runs in a row.",
      }),
    })
    .optional()
    .meta({ description: "Start when another pipeline's run finished with this status." }),
  timezone: z.string().optional().meta({ description: "IANA time zone; default: the engine's local zone." }),
  args: stringMap.optional(),
  start: z.string().optional(),
  end: z.string().optional(),
  jitter: duration.optional(),
  name: name("trigger").optional(),
});

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
  type: z.enum(["string", "number", "integer", "boolean"]).default("string"),
  default: argScalar.optional(),
  enum: z.array(argScalar).min(1).optional(),
  pattern: z.string().optional(),
  required: z.boolean().default(false),
  description: z.string().optional(),
  secret: z.boolean().optional(),
});
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
  on: z.array(z.enum(["success", "failure", "recovered", "started", "missed"])).min(1),
  webhook: z
    .union([
      z.string().min(1),
      z.strictObject({ url: z.string().min(1), headers: z.record(z.string(), z.string()).optional(), timeout: timerDuration.optional(), retries: z.number().int().nonnegative().optional() }),
    ])
    .optional(),
  mqtt: z.strictObject({ url: z.string().min(1), topic: z.string().min(1), qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1) }).optional(),
  run: z.string().optional(),
}).superRefine((entry, ctx) => {
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
  description: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  triggers: z.array(triggerSchema).default([]),
  catchup: z.enum(["none", "latest", "all"]).default("latest"),
  // Each missed slot it allows is walked and may become a run when the engine starts: bounded.
  catchup_limit: z.number().int().min(1).max(1_000).default(100).meta({ description: "With catchup: all, the most missed slots that run (1 to 1000)." }),
  args: z.record(name("argument"), argSchema).default({}),
  concurrency: z.number().int().min(1).default(1),
  queue: z
    .strictObject({
      limit: z.number().int().nonnegative().default(10),
      strategy: z.enum(["append", "replace", "preempt"]).default("append"),
      partition_limit: z.number().int().min(1).optional(),
    })
    .default({ limit: 10, strategy: "append" }),
  debounce: timerDuration.optional(),
  locks: nameList("lock").default([]),
  fail_fast: z.boolean().default(false),
  parallelism: z.number().int().min(1).optional().meta({ description: "Tasks of one run at once (default: the engine's limit)." }),
  timeout: timerDuration.optional(),
  retention: z.strictObject({ keep: z.number().int().min(1).optional(), days: z.number().positive().optional() }).optional(),
  env: stringMap.default({}),
  env_file: z.string().optional(),
  secrets: z.array(z.string()).default([]),
  notify: z.array(notifySchema).default([]),
  tasks: z.record(name("task"), taskSchema),
});
export type PipelineDef = z.output<typeof pipelineSchema>;

export const spireFileSchema = z.strictObject({
  $schema: z.string().optional(),
  namespace: name("namespace").optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  locks: z.record(name("lock"), z.number().int().min(1)).default({}),
  pipelines: z.record(name("pipeline"), pipelineSchema),
});
export type SpireFile = z.output<typeof spireFileSchema>;
export type SpireFileInput = z.input<typeof spireFileSchema>;
