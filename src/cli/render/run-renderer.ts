/**
 * How `spire run` shows a run while it happens: a live tree on a terminal,
 * plain timestamped lines elsewhere (logs, CI), nothing but the final JSON
 * with --json. All three end with the same summary data.
 */
import pc from "picocolors";
import type { LogLine } from "../../exec/port.js";
import type { RunChange } from "../../engine/runs/run-controller.js";
import type { RunObject } from "../../engine/reads/run-object.js";
import type { Plan, TaskState } from "../../plan/types.js";
import type { RunRow, TaskRunRow } from "../../store/port.js";
import { ICONS, duration, paint, timestamp } from "./format.js";
import { LiveTree } from "./live-tree.js";

export interface Renderer {
  onChange(change: RunChange): void;
  /** A message for the person watching (e.g. after Ctrl-C). */
  note(text: string): void;
  /** `tails`: last lines of failed tasks known from elsewhere (a followed run reads them through the API). */
  finish(run: RunObject, rows: TaskRunRow[], tails?: Map<string, LogLine[]>): Promise<void>;
}

export interface RendererOptions {
  json: boolean;
  tty: boolean;
  plan: Plan;
  run: RunRow;
}

export function createRenderer(options: RendererOptions): Renderer {
  if (options.json) return new JsonRenderer();
  return options.tty ? new TreeRenderer(options.plan, options.run) : new PlainRenderer(options.run);
}

/** Tails of failed tasks, collected as they finish, for the summary. */
class Tails {
  readonly byPath = new Map<string, LogLine[]>();
  record(change: RunChange): void {
    if (change.type === "task" && change.tail) this.byPath.set(change.row.path, change.tail);
  }
  merge(tails: Map<string, LogLine[]> | undefined): void {
    for (const [path, lines] of tails ?? []) this.byPath.set(path, lines);
  }
}

function summaryLines(run: RunObject, tails: Tails, lines = 10): string[] {
  const out: string[] = [];
  const counts = new Map<TaskState, number>();
  for (const task of run.tasks) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
  const parts = [...counts].map(([state, count]) => `${count} ${state.replace("_", " ")}`);
  for (const task of run.tasks) {
    if (task.state !== "failed" && task.state !== "timed_out" && task.state !== "interrupted") continue;
    const why = task.reason ?? (task.exit_code !== null ? `exit code ${task.exit_code}` : task.state);
    out.push("", paint(task.state, `${ICONS[task.state]} ${task.path}: ${why}`));
    const tail = (tails.byPath.get(task.path) ?? []).slice(-lines);
    if (tail.length === 0) out.push(pc.dim("  (no output)"));
    for (const line of tail) out.push(`  ${line.stream === "stderr" ? pc.red("│") : pc.dim("│")} ${line.line}`);
    out.push(pc.dim(`  full log: spire logs ${run.id} ${task.path}`));
  }
  const warnings = run.warnings ? `, ${run.warnings} warning${run.warnings === 1 ? "" : "s"}` : "";
  const errors = run.errors ? `, ${run.errors} error${run.errors === 1 ? "" : "s"}` : "";
  out.push(
    "",
    paint(run.state, `${ICONS[run.state]} run ${run.id} ${run.state}`) +
      ` in ${duration(run.duration_ms) || "0ms"} (${parts.join(", ")}${warnings}${errors})${run.reason ? ` — ${run.reason}` : ""}`,
  );
  return out;
}

class JsonRenderer implements Renderer {
  onChange(): void {}
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }
  async finish(run: RunObject): Promise<void> {
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
  }
}

const PLAIN_LINES_EVERY_MS = 50;

class PlainRenderer implements Renderer {
  private readonly tails = new Tails();
  /** When each attempt started, for its duration: a followed run's end event does not repeat it. */
  private readonly startedAt = new Map<string, number>();
  constructor(run: RunRow) {
    this.print(`run ${run.id} of ${run.namespace}/${run.pipeline} started`, run.started_at ?? run.created_at);
    process.once("exit", this.flushAtExit); // an error that ends the program still shows what happened before it
  }
  private readonly flushAtExit = () => this.flush();
  /**
   * Lines of the last 50 ms, written together: a graph of small tasks
   * printed one write per line (a 1,000-task graph: 0.3 s of the run's CPU,
   * most of it waking the reader). These lines go to logs and CI, where
   * 50 ms is not seen; a note and the summary write them at once.
   */
  private pending = "";
  private print(text: string, at = Date.now()): void {
    if (this.pending === "") setTimeout(() => this.flush(), PLAIN_LINES_EVERY_MS);
    this.pending += `${timestamp(at)} ${text}\n`;
  }
  private flush(): void {
    if (this.pending === "") return;
    process.stdout.write(this.pending);
    this.pending = "";
  }
  onChange(change: RunChange): void {
    this.tails.record(change);
    if (change.type === "task") {
      const { row } = change;
      const attempt = `${row.path}#${row.attempt}`;
      if (row.state === "running") {
        this.startedAt.set(attempt, row.started_at ?? Date.now());
        this.print(`${row.path} started${row.attempt > 1 ? ` (attempt ${row.attempt})` : ""}`, row.started_at ?? Date.now());
      } else {
        const started = row.started_at ?? this.startedAt.get(attempt) ?? null;
        const took = started !== null && row.finished_at !== null ? ` in ${duration(row.finished_at - started)}` : "";
        const exit = row.exit_code !== null && row.state !== "succeeded" ? ` (exit ${row.exit_code})` : "";
        const why = row.reason ? `: ${row.reason}` : "";
        this.print(`${row.path} ${row.state.replace("_", " ")}${exit}${took}${why}`, row.finished_at ?? Date.now());
      }
    } else if (change.type === "retry") {
      this.print(`${change.path} will retry (attempt ${change.attempt}) in ${duration(change.delayMs)}`);
    } else if (change.type === "progress") {
      this.print(`${change.path} progress ${change.done}/${change.total}`);
    }
  }
  note(text: string): void {
    this.print(text);
    this.flush();
  }
  async finish(run: RunObject, _rows: TaskRunRow[], tails?: Map<string, LogLine[]>): Promise<void> {
    this.tails.merge(tails);
    this.flush();
    process.off("exit", this.flushAtExit);
    for (const line of summaryLines(run, this.tails)) process.stdout.write(`${line}\n`);
  }
}

class TreeRenderer implements Renderer {
  private readonly tails = new Tails();
  private readonly tree: LiveTree;
  constructor(plan: Plan, run: RunRow) {
    process.stdout.write(`${pc.bold(`${run.namespace}/${run.pipeline}`)} ${pc.dim(run.id)}\n`);
    this.tree = new LiveTree(plan, process.stdout);
    this.tree.start();
  }
  onChange(change: RunChange): void {
    this.tails.record(change);
    this.tree.apply(change);
  }
  note(text: string): void {
    this.tree.note(text);
  }
  async finish(run: RunObject, _rows: TaskRunRow[], tails?: Map<string, LogLine[]>): Promise<void> {
    this.tails.merge(tails);
    this.tree.stop();
    for (const line of summaryLines(run, this.tails)) process.stdout.write(`${line}\n`);
  }
}
