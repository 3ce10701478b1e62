/**
 * prunner's `pipelines.yml` read into Spire's model (the semantics are
 * those of Flowpack/prunner; docs/compat.md has the table):
 *
 *   concurrency, queue_limit        → concurrency, queue.limit (unset: 10 000 places, prunner's is unbounded)
 *   queue_strategy                  → queue.strategy; partitioned_replace → replace with queue.partition_limit
 *   start_delay                     → debounce
 *   continue_running_tasks_after_failure → fail_fast (prunner fails fast by default)
 *   retention_period, retention_count → retention.days, retention.keep
 *   env; .env and .env.local beside the file → env; env_file (pipeline, then tasks)
 *   tasks, on_error                 → see prunner-tasks.ts
 *
 * prunner's own validation rules are kept, with its wording where it helps.
 */
import type { PathSegment } from "../errors.js";
import { suggest } from "../suggest.js";
import { quoted } from "../zod-issues.js";
import { PRUNNER_PIPELINE_KEYS } from "./format.js";
import { parseGoDurationMs, spireDuration } from "./go-duration.js";
import { translateTasks } from "./prunner-tasks.js";
import type { ForeignReader, Raw } from "./reader.js";

export interface PrunnerOptions {
  /** Of `.env` and `.env.local`, those beside the file, in that order (prunner reads both, the second winning). */
  envFiles: string[];
}

const STRATEGIES = ["append", "replace", "partitioned_replace"];
/** prunner's wait list is unbounded when queue_limit is not set; Spire's queue always has a size. */
export const UNBOUNDED_QUEUE = 10_000;
const DAY_MS = 86_400_000;

export function translatePrunner(raw: unknown, reader: ForeignReader, options: PrunnerOptions): Raw | undefined {
  const root = reader.record(raw, [], "a mapping with `pipelines:`");
  if (root === undefined) return undefined;
  reader.knownKeys(root, ["pipelines"], [], "a prunner file");
  if (root["pipelines"] === undefined || root["pipelines"] === null) {
    reader.error([], "a prunner file needs `pipelines:`", { expected: "a mapping of pipelines, each with `tasks:`" });
    return undefined;
  }
  const pipelines = reader.record(root["pipelines"], ["pipelines"], "a mapping of pipelines");
  if (pipelines === undefined) return undefined;
  reader.origins.add([], []);
  reader.origins.add(["pipelines"], ["pipelines"]);
  const out: Raw = {};
  for (const [name, value] of Object.entries(pipelines)) {
    const path = ["pipelines", name];
    if (!reader.name(name, path, "pipeline")) continue;
    const pipeline = translatePipeline(value, path, reader, options);
    if (pipeline !== undefined) out[name] = pipeline;
  }
  return { pipelines: out };
}

function translatePipeline(value: unknown, path: PathSegment[], reader: ForeignReader, options: PrunnerOptions): Raw | undefined {
  const def = reader.record(value, path, "a pipeline (a mapping with `tasks:`)");
  if (def === undefined) return undefined;
  reader.knownKeys(def, PRUNNER_PIPELINE_KEYS, path, "a prunner pipeline");
  reader.origins.add(path, path);
  const at = (key: string): PathSegment[] => [...path, key];
  const pipeline: Raw = {};

  const concurrency = reader.integer(def["concurrency"], at("concurrency"), "a whole number");
  // 0 is Go's zero value: prunner takes it as its default, 1.
  if (concurrency !== undefined && concurrency > 1) {
    pipeline["concurrency"] = concurrency;
    reader.origins.add(at("concurrency"), at("concurrency"));
  }
  pipeline["queue"] = queue(def, path, reader);
  reader.origins.add(at("queue"), path);

  const delay = goDuration(def["start_delay"], at("start_delay"), reader);
  if (delay !== undefined && delay.ms > 0) {
    if (def["queue_limit"] === 0) reader.error(at("start_delay"), "start_delay needs queue_limit > 0", { hint: "a delayed run waits in the queue; give it a place, or remove start_delay" });
    pipeline["debounce"] = spireDuration(delay.text, delay.ms);
    reader.origins.add(at("debounce"), at("start_delay"));
  }

  const keepRunning = reader.boolean(def["continue_running_tasks_after_failure"], at("continue_running_tasks_after_failure"));
  pipeline["fail_fast"] = keepRunning !== true;
  reader.origins.add(at("fail_fast"), keepRunning === undefined ? path : at("continue_running_tasks_after_failure"));

  const retention = retentionOf(def, path, reader);
  if (retention !== undefined) pipeline["retention"] = retention;

  const env = reader.env(def["env"], at("env"));
  if (env !== undefined) {
    pipeline["env"] = env;
    reader.origins.add(at("env"), at("env"), true);
  }
  const [pipelineEnvFile, taskEnvFile] = options.envFiles;
  if (pipelineEnvFile !== undefined) pipeline["env_file"] = pipelineEnvFile;

  const tasks = translateTasks(def, path, reader, taskEnvFile);
  if (Object.keys(tasks.args).length > 0) pipeline["args"] = tasks.args;
  pipeline["tasks"] = tasks.tasks;
  return pipeline;
}

function queue(def: Raw, path: PathSegment[], reader: ForeignReader): Raw {
  const at = (key: string): PathSegment[] => [...path, key];
  const limit = reader.integer(def["queue_limit"], at("queue_limit"), "a whole number");
  const partitionLimit = reader.integer(def["queue_partition_limit"], at("queue_partition_limit"), "a whole number");
  const strategy = reader.string(def["queue_strategy"], at("queue_strategy"), "one of: append, replace, partitioned_replace");
  if (strategy !== undefined && !STRATEGIES.includes(strategy)) {
    const close = suggest(strategy, STRATEGIES);
    reader.error(at("queue_strategy"), `unknown queue strategy ${quoted(strategy)}`, { expected: "one of: append, replace, partitioned_replace", ...(close ? { hint: `did you mean \`${close}\`?` } : {}) });
  }
  if (strategy === "partitioned_replace") {
    if (def["queue_limit"] !== undefined) reader.error(at("queue_limit"), "queue_limit is not allowed with queue_strategy: partitioned_replace", { hint: "use queue_partition_limit (places per partition) instead" }, "key");
    if (partitionLimit === undefined || partitionLimit < 1) {
      reader.error(def["queue_partition_limit"] === undefined ? at("queue_strategy") : at("queue_partition_limit"), "queue_partition_limit must be defined and >= 1 with queue_strategy: partitioned_replace");
    }
  } else if (def["queue_partition_limit"] !== undefined) {
    reader.error(at("queue_partition_limit"), "queue_partition_limit is allowed only with queue_strategy: partitioned_replace", { hint: "use queue_limit, or set queue_strategy: partitioned_replace" }, "key");
  }
  const known = strategy !== undefined && STRATEGIES.includes(strategy) ? strategy : "append";
  const out: Raw = { limit: limit ?? UNBOUNDED_QUEUE, strategy: known === "partitioned_replace" ? "replace" : known };
  reader.origins.add([...path, "queue", "limit"], def["queue_limit"] === undefined ? path : at("queue_limit"));
  reader.origins.add([...path, "queue", "strategy"], def["queue_strategy"] === undefined ? path : at("queue_strategy"));
  if (strategy === "partitioned_replace" && partitionLimit !== undefined && partitionLimit >= 1) {
    out["partition_limit"] = partitionLimit;
    reader.origins.add([...path, "queue", "partition_limit"], at("queue_partition_limit"));
  }
  return out;
}

function retentionOf(def: Raw, path: PathSegment[], reader: ForeignReader): Raw | undefined {
  const retention: Raw = {};
  const period = goDuration(def["retention_period"], [...path, "retention_period"], reader);
  if (period !== undefined && period.ms > 0) {
    retention["days"] = period.ms / DAY_MS;
    reader.origins.add([...path, "retention", "days"], [...path, "retention_period"]);
  }
  const count = reader.integer(def["retention_count"], [...path, "retention_count"], "a whole number");
  if (count !== undefined && count > 0) {
    retention["keep"] = count;
    reader.origins.add([...path, "retention", "keep"], [...path, "retention_count"]);
  }
  if (Object.keys(retention).length === 0) return undefined;
  reader.origins.add([...path, "retention"], path);
  return retention;
}

function goDuration(value: unknown, path: PathSegment[], reader: ForeignReader): { text: string; ms: number } | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === "number" && value === 0 ? "0" : value;
  const ms = typeof text === "string" ? parseGoDurationMs(text) : undefined;
  if (typeof text !== "string" || ms === undefined) {
    reader.error(path, `invalid duration ${quoted(value)}`, { expected: "a duration such as 300ms, 15s, 1h30m" });
    return undefined;
  }
  return { text, ms };
}
