/**
 * Which reader a definitions file is for: Spire's own, prunner's
 * `pipelines.yml`, or a Gator job tree. Decided from the content, so that a
 * file is read unchanged whatever its name; `--format` overrides.
 */
import { isRecord } from "../zod-issues.js";

export const FORMATS = ["spire", "prunner", "gator"] as const;
export type DefinitionsFormat = (typeof FORMATS)[number];

export const FORMAT_NAMES: Record<DefinitionsFormat, string> = {
  spire: "a Spire definitions file",
  prunner: "a prunner pipelines.yml",
  gator: "a Gator job file",
};

/**
 * A Gator file starts with its root tag (`!Job`, `!JobGroup`, `!JobArray`),
 * after any comments, directives and `---`. Seen in the text, before the
 * YAML is read, because only then do Gator's tags become known to the reader.
 */
const GATOR_ROOT = /^(?:\s*(?:#[^\n]*|%[^\n]*|---[ \t]*)?\n)*\s*(?:---\s+)?!(?:Job|JobGroup|JobArray)(?=[\s{])/;

export function isGatorText(text: string): boolean {
  return GATOR_ROOT.test(text);
}

/** The keys of a prunner pipeline and of its tasks (Flowpack/prunner definition/pipelines.go). */
export const PRUNNER_PIPELINE_KEYS = [
  "concurrency",
  "queue_limit",
  "queue_partition_limit",
  "queue_strategy",
  "start_delay",
  "continue_running_tasks_after_failure",
  "retention_period",
  "retention_count",
  "env",
  "tasks",
  "on_error",
] as const;
export const PRUNNER_TASK_KEYS = ["script", "depends_on", "allow_failure", "env"] as const;
/** Pipeline keys that Spire has too: only the others tell a prunner file. */
const SHARED_PIPELINE_KEYS: readonly string[] = ["concurrency", "env", "tasks"];
const PRUNNER_TASK_WORDS: readonly string[] = PRUNNER_TASK_KEYS;
const PRUNNER_ONLY_KEYS: readonly string[] = PRUNNER_PIPELINE_KEYS.filter((key) => !SHARED_PIPELINE_KEYS.includes(key));

/**
 * prunner's or Spire's, from the data: prunner's when a pipeline has a key
 * only prunner knows or a task has a `script:` list (Spire's `script` is one
 * file name), or when nothing in the file is outside prunner's vocabulary.
 * A Spire file always has a payload (`run`, `exec`, …) that prunner lacks.
 */
export function looksLikePrunner(value: unknown): boolean {
  if (!isRecord(value) || !isRecord(value["pipelines"])) return false;
  if (Object.keys(value).some((key) => key !== "pipelines")) return false;
  let onlyPrunnerWords = true;
  let tasks = 0;
  for (const pipeline of Object.values(value["pipelines"])) {
    if (!isRecord(pipeline)) continue;
    for (const key of Object.keys(pipeline)) {
      if (PRUNNER_ONLY_KEYS.includes(key)) return true;
      if (!SHARED_PIPELINE_KEYS.includes(key)) onlyPrunnerWords = false;
    }
    for (const task of Object.values(isRecord(pipeline["tasks"]) ? pipeline["tasks"] : {})) {
      if (!isRecord(task)) continue;
      tasks++;
      if (Array.isArray(task["script"])) return true;
      if (Object.keys(task).some((key) => !PRUNNER_TASK_WORDS.includes(key)) || typeof task["script"] === "string") onlyPrunnerWords = false;
    }
  }
  return onlyPrunnerWords && tasks > 0;
}

export function parseFormat(text: string): DefinitionsFormat | undefined {
  return (FORMATS as readonly string[]).includes(text) ? (text as DefinitionsFormat) : undefined;
}
