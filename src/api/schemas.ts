/**
 * Response shapes, for the OpenAPI document. They mirror the types in
 * src/engine/service.ts and run-object.ts (a test checks real answers
 * against them), and carry ids so the document names them once.
 */
import { z } from "zod";
import { SCOPES } from "../engine/service.js";

const isoTime = z.string().meta({ format: "date-time" });
const nullableTime = isoTime.nullable();

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "bad_request, unauthorized, forbidden, not_found, conflict, queue_full, invalid_args, invalid_definitions, disk_full (507), …" }),
      message: z.string().meta({ description: "What is wrong, in words a person can act on." }),
      details: z.unknown().meta({ description: "A list of problems with their location, the definition errors, or null." }),
    }),
  })
  .meta({ id: "Error" });

const metricAggregate = z.object({ min: z.number(), max: z.number(), mean: z.number(), sum: z.number(), count: z.number() }).meta({ id: "MetricAggregate" });
const metrics = z.record(z.string(), metricAggregate);
export const runState = z.enum(["queued", "running", "succeeded", "failed", "canceled", "skipped", "interrupted"]).meta({ id: "RunState" });
export const taskState = z.enum(["pending", "running", "succeeded", "failed", "canceled", "skipped", "timed_out", "interrupted"]).meta({ id: "TaskState" });
const trigger = z.looseObject({ kind: z.string(), scheduled_at: nullableTime.optional() }).meta({ id: "Trigger" });

const taskMessage = z
  .object({
    level: z.enum(["warning", "error"]),
    text: z.string().describe("Secrets masked as in the log; at most 1,000 characters (a longer text is cut and ends with …)."),
    ts: isoTime.describe("When the line was read."),
    stream: z.enum(["stdout", "stderr"]),
  })
  .meta({ id: "TaskMessage" });

export const taskObject = z
  .object({
    name: z.string(),
    path: z.string(),
    state: taskState,
    attempts: z.number().int(),
    exit_code: z.number().int().nullable(),
    started_at: nullableTime,
    finished_at: nullableTime,
    duration_ms: z.number().nullable(),
    cpu_ms: z.number().nullable(),
    peak_rss_bytes: z.number().nullable(),
    warnings: z.number().int(),
    errors: z.number().int(),
    metrics,
    outputs: z.record(z.string(), z.string()),
    reason: z.string().nullable(),
    signal: z.string().nullable(),
    messages: z
      .array(taskMessage)
      .describe(
        "The texts of the first 100 warnings and the first 100 errors of the task's last attempt, in the order printed: `::warning::TEXT` and `::error::TEXT` lines, lines counted by warn_pattern or error_pattern (whole), the warnings and errors of its `parser:` (as the tool words them), and Spire's own warnings about the task. `warnings` and `errors` count them all; the log keeps every line.",
      ),
    worker: z
      .string()
      .nullable()
      .describe(
        "The name of the worker the task's last attempt ran on (GET /workers; the engine's own machine is one, named by its host name); null when it never started, or ran before the engine recorded where.",
      ),
  })
  .meta({ id: "TaskRun" });

export const runSummary = z
  .object({
    id: z.string(),
    namespace: z.string(),
    pipeline: z.string(),
    state: runState,
    reason: z.string().nullable(),
    trigger,
    created_at: isoTime,
    started_at: nullableTime,
    finished_at: nullableTime,
    duration_ms: z.number().nullable(),
    warnings: z.number().int().describe("How many warnings its tasks reported (tasks[].warnings summed: each task's last attempt); counted when the run ends, 0 until then."),
    errors: z.number().int().describe("How many errors its tasks reported (tasks[].errors summed: each task's last attempt); counted when the run ends, 0 until then."),
  })
  .meta({ id: "RunSummary" });

/** The run object of SPEC §5: the summary, with its args, counts and tasks. */
export const runObject = runSummary
  .extend({
    args: z.record(z.string(), z.unknown()),
    partition: z.string().nullable(),
    seed: z.number().int().describe("SPIRE_SEED, in the environment of every attempt of its tasks: chosen at random when the run was made unless given; a retry keeps it, so a failure replays."),
    metrics,
    cpu_ms: z.number().nullable().describe("CPU (user + system) of every attempt of every task, summed, in ms; null when none was measured."),
    peak_rss_bytes: z
      .number()
      .nullable()
      .describe("The highest peak RSS of any one attempt, in bytes (tasks that ran side by side may together have used more); null when none was measured."),
    tasks: z.array(taskObject),
    groups: z.array(
      z.object({ path: z.string(), type: z.enum(["group", "array"]), state: taskState, warnings: z.number().int(), errors: z.number().int(), metrics }),
    ),
  })
  .meta({ id: "Run" });

export const runPage = z.object({ runs: z.array(runSummary), next_cursor: z.string().nullable() }).meta({ id: "RunPage" });

const upcomingSlot = z
  .object({
    at: isoTime.meta({ description: "The slot, in ISO 8601 in the trigger's zone, with its offset." }),
    offset: z.string().meta({ description: "The zone's UTC offset then, such as +02:00." }),
    offset_change: z
      .object({ before: z.string(), after: z.string() })
      .nullable()
      .meta({ description: "The UTC offset differs from the previous slot's (from now, for the first): a DST change between them; null otherwise." }),
  })
  .meta({ id: "UpcomingSlot" });

const triggerReading = z
  .object({
    key: z.string().meta({ description: "Its index in `triggers` and its kind, as missed records (trigger_key) and runs' triggers name it, such as 0:cron." }),
    kind: z.string(),
    description: z.string().meta({ description: "The trigger in plain words, such as \"At 03:00 every day (Europe/Berlin)\"." }),
    zone: z.string().nullable().meta({ description: "The zone its times are read in, for time triggers: its own timezone, else the engine's; null for other triggers." }),
    next_fire_at: nullableTime.meta({ description: "When it fires next (its next slot plus any jitter): time triggers of a pipeline not paused; null otherwise." }),
    next_offset_change: z
      .object({ before: z.string(), after: z.string() })
      .nullable()
      .meta({ description: "The UTC offset of the trigger's zone at next_fire_at differs from its offset now: the clocks change (DST) before it fires; null otherwise." }),
  })
  .meta({ id: "TriggerReading" });

export const recentRun = z
  .object({ id: z.string(), state: runState, created_at: isoTime, duration_ms: z.number().nullable().meta({ description: "From start to end; null until it has both." }) })
  .meta({ id: "RecentRun" });

export const pipelineSummary = z
  .object({
    namespace: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    paused: z.boolean(),
    paused_reason: z
      .string()
      .nullable()
      .meta({ description: "Why it is paused: the reason given to POST …/pause, or why the engine paused it (a spire watch whose lease lapsed); null when none was given, or not paused." }),
    paused_at: nullableTime.meta({ description: "While paused: when it was paused (null for a pause older than this field)." }),
    paused_by: z.string().nullable().meta({ description: "While paused: who paused it (a token's name, or the engine)." }),
    triggers: z.array(z.record(z.string(), z.unknown())),
    trigger_info: z.array(triggerReading).meta({ description: "Each trigger in plain words, in the order of `triggers`." }),
    next_fire_at: nullableTime,
    last_run: z.object({ id: z.string(), state: runState, finished_at: nullableTime }).nullable(),
    recent: z.array(recentRun).optional().meta({ description: "Its newest runs, newest first: only with ?recent=N." }),
    updated_at: isoTime,
  })
  .meta({ id: "PipelineSummary" });

export const pipelineDetail = pipelineSummary
  .extend({
    trigger_info: z
      .array(triggerReading.extend({ next: z.array(upcomingSlot).meta({ description: "Its next slots (?next=N, default 10); empty for triggers without slots, and while paused." }) }))
      .meta({ description: "Each trigger in plain words with its next slots, in the order of `triggers`." }),
    definition: z.record(z.string(), z.unknown()).meta({ description: "The normalised pipeline definition (see schema/spire.schema.json)." }),
    definition_yaml: z.string().meta({ description: "The definition as YAML: the pipeline's own lines of the file it was applied from, or (for other formats) the normalised definition written out." }),
    definition_yaml_from: z.enum(["source", "normalised"]),
    definition_line: z.number().int().nullable().meta({ description: "With source: the line of the file (origin.path) where those lines begin." }),
    origin: z
      .object({ host: z.string(), user: z.string(), path: z.string().nullable(), applied_at: isoTime, author: z.string().nullable() })
      .nullable()
      .meta({ description: "Where its namespace was last applied from, as GET /namespaces says." }),
  })
  .meta({ id: "Pipeline" });

export const watchLease = z
  .object({
    namespace: z.string(),
    name: z.string(),
    paused: z.boolean().meta({ description: "Paused by someone: it holds no lease, and the renewal changed nothing." }),
    expires_at: nullableTime.meta({ description: "When it lapses without another renewal; null while paused." }),
    lease_ms: z.number().int(),
    renew_every_ms: z.number().int().meta({ description: "How often the watcher renews." }),
    resumed: z.boolean().meta({ description: "This renewal resumed it: the engine had paused it when an earlier term lapsed." }),
  })
  .meta({ id: "WatchLease" });

export const changeSet = z
  .object({
    namespace: z.string(),
    created: z.array(z.string()),
    changed: z.array(z.string()),
    unchanged: z.array(z.string()),
    removed: z.array(z.string()),
    dry_run: z.boolean(),
    warnings: z
      .array(
        z.object({
          file: z.string(),
          line: z.number().int(),
          column: z.number().int(),
          keyPath: z.string(),
          message: z.string(),
          expected: z.string().optional(),
          hint: z.string().optional(),
          severity: z.literal("warning"),
        }),
      )
      .meta({ description: "What was applied but will not work as the file seems to mean (an `at` already past, an `after` naming a pipeline the engine does not have yet)." }),
  })
  .meta({ id: "ChangeSet" });

export const namespaceInfo = z
  .object({
    name: z.string(),
    origin: z.object({ host: z.string(), user: z.string(), path: z.string().nullable(), applied_at: isoTime, author: z.string().nullable() }),
    metadata: z.record(z.string(), z.unknown()),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: "Namespace" });

export const tokenScope = z
  .enum(SCOPES, { error: "expected read, run, admin or worker" })
  .meta({ id: "Scope", description: "read < run < admin, each including the ones before it; worker: only the routes a worker on another machine uses, which an admin may use too." });

export const tokenInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: tokenScope,
    created_at: isoTime,
    expires_at: nullableTime,
    revoked_at: nullableTime,
    last_used_at: nullableTime,
  })
  .meta({ id: "Token" });

export const sessionInfo = tokenInfo
  .extend({ from: z.string().nullable().meta({ description: "The name of the token the session was made from (revoking that token ends it)." }) })
  .meta({ id: "Session" });

export const auditPage = z
  .object({
    entries: z.array(
      z.object({ seq: z.number().int(), ts: isoTime, actor: z.string(), action: z.string(), target: z.string(), details: z.record(z.string(), z.unknown()) }),
    ),
    next_cursor: z.number().int().nullable(),
  })
  .meta({ id: "AuditPage" });

export const health = z
  .object({ status: z.enum(["ok", "draining"]), version: z.string(), uptime_ms: z.number() })
  .meta({ id: "Health" });
