/**
 * What a failure handler (a task with `on_fail`) is told about the failure
 * it handles, in its environment: the first of the tasks it watches that
 * failed (by when it ended), with its exit code, why it failed, and the end
 * of its stdout and stderr. prunner's on_error reads these
 * (`{{ .failedTaskName }}` and its kin); any Spire handler may.
 */
import type { AttemptLog, LogReader } from "../../logs/port.js";
import type { LogStream } from "../../exec/port.js";
import type { PlannedNode } from "../../plan/types.js";

export interface FailureRecord {
  path: string;
  exitCode: number | null;
  reason: string | null;
  log: AttemptLog | undefined;
  finishedAt: number;
}

/** Of each stream, at most this much of its end (an environment variable over 128 KiB cannot be passed on Linux). */
export const FAILED_OUTPUT_CHARS = 32 * 1024;
/** Enough of the log's end to fill both streams' tails in the usual case, without reading a huge log whole. */
const LOG_TAIL_BYTES = 256 * 1024;

/** The earliest failure among the tasks (or the tasks within the groups) the handler's on_fail names. */
export function firstFailure(node: PlannedNode, failures: ReadonlyMap<string, FailureRecord>): FailureRecord | undefined {
  const watched = node.deps.filter((dep) => dep.on === "fail").map((dep) => dep.path);
  if (watched.length === 0) return undefined;
  let first: FailureRecord | undefined;
  for (const failure of failures.values()) {
    const within = watched.some((path) => failure.path === path || failure.path.startsWith(`${path}/`) || failure.path.startsWith(`${path}[`));
    if (within && (first === undefined || failure.finishedAt < first.finishedAt)) first = failure;
  }
  return first;
}

export async function failureEnv(failure: FailureRecord, logs: LogReader): Promise<Record<string, string>> {
  const tails = failure.log === undefined ? { stdout: "", stderr: "" } : await logTails(failure.log, logs);
  const error = failure.reason ?? (failure.exitCode === null ? "failed" : `exit status ${failure.exitCode}`);
  return {
    SPIRE_FAILED_TASK: failure.path,
    SPIRE_FAILED_EXIT_CODE: failure.exitCode === null ? "" : String(failure.exitCode),
    SPIRE_FAILED_ERROR: error,
    SPIRE_FAILED_STDOUT: tails.stdout,
    SPIRE_FAILED_STDERR: tails.stderr,
    ...(failure.log === undefined ? {} : { SPIRE_FAILED_LOG: failure.log.log_file }),
  };
}

/** The end of each stream of a log (lines as written; the log is already masked). Best effort: a missing log is empty. */
async function logTails(log: AttemptLog, logs: LogReader): Promise<Record<LogStream, string>> {
  try {
    const offset = Math.max(0, (await logs.size(log)) - LOG_TAIL_BYTES);
    const { lines } = await logs.read(log, { offset });
    // Reading from the middle of the file: its first line may be cut.
    const whole = offset > 0 ? lines.slice(1) : lines;
    const text = (stream: LogStream) => whole.filter((line) => line.stream === stream).map((line) => line.line).join("\n").slice(-FAILED_OUTPUT_CHARS);
    return { stdout: text("stdout"), stderr: text("stderr") };
  } catch {
    return { stdout: "", stderr: "" };
  }
}
