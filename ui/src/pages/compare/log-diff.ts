/**
 * The first log line where two runs' task differs: both logs read page by
 * page, stdout and then stderr (each stream on its own: how the two
 * interleave depends on timing, not on what the task did), stopping at the
 * first difference, and at LINE_LIMIT lines of a task's log on either side.
 */
import { signal } from "@preact/signals";
import { messageOf } from "../../api/api-error";
import { isAbort } from "../runs/pool";
import { LogReader, type Stream } from "./logs";

/** Lines read per task and side, at most (both streams together). */
export const LINE_LIMIT = 100_000;
/** Tasks compared at once. */
const PARALLEL = 2;

export type LogVerdict =
  | { kind: "pending" }
  | { kind: "reading"; lines: number }
  | { kind: "same"; lines: number }
  | { kind: "differs"; stream: Stream; line: number; a: string | null; b: string | null }
  | { kind: "stopped"; lines: number }
  | { kind: "error"; message: string };

/** Digits become one #: a timestamp, a duration or an id in a line then compares equal. */
export function withoutDigits(line: string): string {
  return line.replace(/\d+/g, "#");
}

async function compareTask(runA: string, runB: string, task: string, normalise: (line: string) => string, signal: AbortSignal, progress: (lines: number) => void): Promise<LogVerdict> {
  let read = 0;
  for (const stream of ["stdout", "stderr"] as const) {
    const a = new LogReader(runA, task, stream, signal);
    const b = new LogReader(runB, task, stream, signal);
    for (let line = 1; ; line++) {
      if (read >= LINE_LIMIT) return { kind: "stopped", lines: read };
      const [left, right] = await Promise.all([a.next(), b.next()]);
      if (left === null && right === null) break;
      read++;
      if (read % 5_000 === 0) progress(read);
      if (left === null || right === null || normalise(left) !== normalise(right)) return { kind: "differs", stream, line, a: left, b: right };
    }
  }
  return { kind: "same", lines: read };
}

export class LogComparison {
  readonly verdicts = signal<ReadonlyMap<string, LogVerdict>>(new Map());
  readonly running = signal(false);
  private abort = new AbortController();

  constructor(
    private readonly runA: string,
    private readonly runB: string,
  ) {}

  stop(): void {
    this.abort.abort();
    this.running.value = false;
  }

  private set(task: string, verdict: LogVerdict): void {
    const next = new Map(this.verdicts.peek());
    next.set(task, verdict);
    this.verdicts.value = next;
  }

  /** Compares the logs of these tasks (those that ran in both runs), PARALLEL at a time. */
  async start(tasks: string[], ignoreDigits: boolean): Promise<void> {
    this.abort.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.verdicts.value = new Map(tasks.map((task) => [task, { kind: "pending" }]));
    this.running.value = true;
    const normalise = ignoreDigits ? withoutDigits : (line: string) => line;
    const queue = [...tasks];
    const worker = async () => {
      for (let task = queue.shift(); task !== undefined && !abort.signal.aborted; task = queue.shift()) {
        const name = task;
        this.set(name, { kind: "reading", lines: 0 });
        try {
          const verdict = await compareTask(this.runA, this.runB, name, normalise, abort.signal, (lines) => this.set(name, { kind: "reading", lines }));
          if (!abort.signal.aborted) this.set(name, verdict);
        } catch (error) {
          if (abort.signal.aborted || isAbort(error)) return;
          this.set(name, { kind: "error", message: messageOf(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    if (this.abort === abort) this.running.value = false;
  }
}
