/**
 * The shapes the engine's API answers with, as the UI reads them: the types
 * made at build time from the engine's OpenAPI document (src/public/api-types.ts),
 * narrowed only where the document leaves a value open (a trigger's fields,
 * a pipeline's args) and the UI reads into it.
 */
import type { components, operations } from "../../../src/public/api-types";

type Schemas = components["schemas"];
/** A schema of the document, by name. */
export type ApiSchema<Name extends keyof Schemas> = Schemas[Name];
/** What a route answers with 200 or 201, by its operation id in the document. */
export type Answer<Id extends keyof operations> = operations[Id] extends { responses: { 200: { content: { "application/json": infer Body } } } }
  ? Body
  : operations[Id] extends { responses: { 201: { content: { "application/json": infer Body } } } }
    ? Body
    : never;

/** read < run < admin; worker: only what a worker on another machine does (`spire worker`), nothing of this UI. */
export type Scope = Schemas["Scope"];

export const RUN_STATES = ["queued", "running", "succeeded", "failed", "canceled", "skipped", "interrupted"] as const satisfies readonly Schemas["RunState"][];
export type RunState = Schemas["RunState"];

export const TASK_STATES = ["pending", "running", "succeeded", "failed", "canceled", "skipped", "timed_out", "interrupted"] as const satisfies readonly Schemas["TaskState"][];
export type TaskState = Schemas["TaskState"];

export type AnyState = RunState | TaskState;

export type SessionInfo = Schemas["Token"];

/** GET /session: who is logged in, and the CSRF token for requests that change something. */
export type WhoAmI = Answer<"getSession">;

export type TriggerKind = "cron" | "every" | "at" | "watch" | "webhook" | "after";

/** A trigger as the engine normalised it (durations in ms): the document leaves its fields open. */
export interface TriggerDef {
  kind: TriggerKind;
  cron?: string;
  every?: number;
  after_finish?: boolean;
  align?: boolean;
  at?: string;
  watch?: string | string[];
  debounce?: number;
  webhook?: true;
  after?: { pipeline: string; status: "success" | "failure" | "any" };
  timezone?: string;
  args?: Record<string, string | number | boolean>;
  start?: string;
  end?: string;
  jitter?: number;
  name?: string;
}

export type ArgScalar = string | number | boolean;

/** A run argument's declaration, normalised by the engine (inside a pipeline's definition, which the document leaves open). */
export interface ArgDef {
  type: "string" | "number" | "integer" | "boolean";
  default?: ArgScalar;
  enum?: ArgScalar[];
  pattern?: string;
  required: boolean;
  description?: string;
  secret?: boolean;
}

/** A trigger as the engine reads it: in plain words (the engine's wording is the UI's), and when it fires next. */
export type TriggerReading = Schemas["TriggerReading"];
/** A UTC offset that differs from the one before: the clocks change (DST) in between. */
export type OffsetChange = NonNullable<TriggerReading["next_offset_change"]>;
/** One of a pipeline's newest runs (GET /pipelines?recent=N). */
export type RecentRun = Schemas["RecentRun"];
export type PipelineSummary = Omit<Schemas["PipelineSummary"], "triggers"> & { triggers: TriggerDef[] };
export type UpcomingSlot = Schemas["UpcomingSlot"];
export type PipelineDetail = Omit<Schemas["Pipeline"], "triggers" | "definition"> & {
  triggers: TriggerDef[];
  definition: { args?: Record<string, ArgDef>; description?: string; [key: string]: unknown };
};

export type RunTrigger = Schemas["Trigger"];
export type RunSummary = Schemas["RunSummary"];
export type RunPage = Schemas["RunPage"];
export type MetricAggregate = Schemas["MetricAggregate"];
export type TaskRun = Schemas["TaskRun"];
export type Run = Schemas["Run"];

/** GET /workers, and the data of the event stream's `event: workers` frames: a machine that runs tasks. */
export type WorkerInfo = Schemas["Worker"];

/** The body of every refusal. */
export type ErrorBody = Schemas["Error"];
