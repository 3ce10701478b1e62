/** What a RunController is given (the engine's ports and limits), and what it tells its listener. */
import type { Executor, LogLine, Machine, Placement } from "../../exec/port.js";
import type { LogReader } from "../../logs/port.js";
import type { EventRow, RunState, Store, TaskRunRow } from "../../store/port.js";
import type { Slots } from "../resources/slots.js";
import type { SharedTaskLocks } from "./shared-task-locks.js";
import type { SpareRunFolders } from "../artifacts/spare-run-folders.js";

export interface RunDeps {
  store: Store;
  executor: Executor;
  /** Where the logs of earlier attempts are read (a failure handler is told the end of the failed one). */
  logs: LogReader;
  dataDir: string;
  slots: Slots;
  /** This machine, as tasks without `runs_on` (or whose labels it has) see it (default: localMachine()). */
  machine?: Machine;
  /** The labels of this machine (default: `local` and its host name). */
  localLabels?: readonly string[];
  /** Where tasks whose `runs_on` this machine lacks go (workers); absent: such tasks fail, saying so. */
  placement?: Placement;
  /** Slots of attempts placed on workers: no engine parallelism (each worker has its own room), but the engine's one lock table. */
  remoteSlots?: Slots;
  /** With engines sharing the store: tasks' locks are taken there too, and count on every engine. */
  taskLocks?: SharedTaskLocks;
  nodePath: string;
  /**
   * The environment tasks start from: a plain object, made once (as run-queues.ts does). Not process.env
   * itself: each task reads all of it, and every read of process.env is a call into Node's C++ (35 variables:
   * 40 µs a task, against 3 µs from a plain object; bench/spawn passed process.env until 2026-12-06).
   */
  baseEnv: Record<string, string | undefined>;
  now?: () => number;
  /** Told of every stored event, after it is stored (the engine's live event stream). */
  publish?: (events: EventRow[]) => void;
  /** Told, once an attempt's end is stored, how many lines its report's tail holds (a log may be long only when it is full). */
  logEnded?: (runId: string, path: string, attempt: number, tailLines: number) => void;
  /** Told each attempt's id once its end is stored: a supervisor that outlives the engine may then forget the report. */
  ack?: (attemptId: string) => void;
  /** The most artifacts one run may keep (default 1 GiB). */
  artifactLimitBytes?: number;
  /** Run folders made ahead, renamed into place at a run's first attempt (a long-lived engine's). */
  spareRunFolders?: SpareRunFolders;
  /** Asked as the run's end is stored: whether `after` triggers follow it (its end is then stored as awaiting them). */
  followed?: (state: RunState) => boolean;
}

export type RunChange =
  | { type: "run"; state: RunState; reason: string | null }
  | { type: "task"; row: TaskRunRow; tail?: LogLine[] }
  | { type: "retry"; path: string; attempt: number; delayMs: number }
  | { type: "progress"; path: string; done: number; total: number }
  | { type: "line"; path: string; line: LogLine };

export type RunListener = (change: RunChange) => void;
