/**
 * What an engine and its workers say to each other over the engine's HTTP
 * API (routes in src/api/routes/workers.ts). A worker registers, then holds
 * one Server-Sent Events stream open on which the engine sends it attempts
 * to launch and to cancel, and posts what its attempts do — when they
 * start, their log (as byte ranges of the log file, so a range sent twice is
 * recognised and dropped), their progress and their end — in batches that
 * double as its heartbeat. Plain data only: both sides import these types.
 */
import type { AttemptReport, LaunchSpec } from "../exec/port.js";

/** How long a worker may be silent before it is lost (its attempts are interrupted), unless the engine is told otherwise. */
export const DEFAULT_WORKER_LEASE_MS = 30_000;

export interface RegisterRequest {
  /** Unique among the engine's workers; the same name after a restart is the same worker. */
  name: string;
  labels: string[];
  /** Attempts it runs at once at most. */
  tasks: number;
  cpus: number;
  memory_bytes: number;
  version: string;
  host: string;
  /** Absolute paths on the worker's machine: its data folder (logs, outputs, artifacts) and where tasks without an absolute cwd run. */
  data_dir: string;
  work_dir: string;
  /** The node binary that runs `node:` tasks there. */
  node_path: string;
  /** Attempts its supervisor runs now (after a restart of the worker or the engine): the engine says which to stop. */
  running: string[];
  /**
   * The user said the network to the engine is private (`--allow-insecure`):
   * only then does the engine send tasks' secrets to it over plain http from
   * another machine.
   */
  allow_insecure: boolean;
}

export interface RegisterResponse {
  /** Names this connection: reports and the stream carry it, and an older session's are refused. */
  session: string;
  lease_ms: number;
  /** How often to report even with nothing to say. */
  heartbeat_ms: number;
  /** Attempts among `running` that nobody wants any more: stop them. */
  stop: string[];
}

/** What the engine sends on the assignment stream. */
export type Assignment =
  /** Run this. `spec` is already laid out for the worker's machine; the worker adds its own environment under `spec.env`. */
  | { type: "launch"; attempt: string; spec: LaunchSpec }
  | { type: "cancel"; attempt: string; reason: string }
  /** Fenced: the engine gave up on this attempt (it was interrupted and may run elsewhere); kill it and forget it. */
  | { type: "stop"; attempt: string; reason: string };

export type Report =
  | { attempt: string; kind: "started"; pid: number; started_at: number }
  /** Log file bytes [offset, offset + text's UTF-8 length), whole lines only. */
  | { attempt: string; kind: "log"; offset: number; text: string }
  | { attempt: string; kind: "progress"; done: number; total: number }
  /** Sent after the whole log: `log_bytes` is its length, so the engine knows it has all of it. */
  | { attempt: string; kind: "done"; report: AttemptReport; log_bytes: number };

export interface ReportsRequest {
  session: string;
  reports: Report[];
  /** Attempts still running there (a heartbeat says so even with nothing else to report). */
  running: string[];
}

/** A chunk of a file an attempt keeps, posted to /workers/{name}/artifacts, as the engine takes it. */
export interface ArtifactChunk {
  /** Relative to the task's folder, as its pattern matched it. */
  name: string;
  offset: number;
  data: Buffer;
  /** The whole file's size, as the worker opened it: the room the run needs for it (an older worker does not say). */
  size?: number;
}

export interface ArtifactChunkAnswer {
  /** How much of the file the engine has: the sender goes on from there. */
  size: number;
  accepted: boolean;
  /** The file is not kept, and why (the run's artifact limit): the sender sends no more of it, and says so in the attempt's log. */
  refused?: string;
}

export interface ReportsResponse {
  /** Per attempt with a log report, the length of the engine's copy: the worker sends on from there. */
  log_offsets: Record<string, number>;
  /** Ends the engine has recorded: the worker may forget those attempts. */
  recorded: string[];
  /** Attempts the engine does not want (fenced, or unknown): stop them and forget them. */
  stop: string[];
}
