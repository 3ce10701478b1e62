/**
 * The live task tree drawn on a terminal while a run goes on: one line per
 * node (indented by group), its state, its duration, and a progress bar
 * from `::progress::`. Redrawn in place a few times a second; when the tree
 * is taller than the terminal, finished tasks fold into one summary line.
 */
import pc from "picocolors";
import type { RunChange } from "../../engine/runs/run-controller.js";
import { nodeState } from "../../plan/ready.js";
import type { Plan, TaskState } from "../../plan/types.js";
import { ICONS, duration, paint, progressBar } from "./format.js";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const FRAME_MS = 100;

interface TaskView {
  state: TaskState;
  attempt: number;
  startedAt: number | null;
  finishedAt: number | null;
  progress?: { done: number; total: number };
  retryAt?: number;
}

export class LiveTree {
  private readonly views = new Map<string, TaskView>();
  private readonly states = new Map<string, TaskState>();
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  private frame = 0;
  private readonly notes: string[] = [];

  constructor(
    private readonly plan: Plan,
    private readonly out: NodeJS.WriteStream,
  ) {
    for (const node of plan.nodes) {
      if (node.type !== "task") continue;
      this.views.set(node.path, { state: "pending", attempt: 0, startedAt: null, finishedAt: null });
      this.states.set(node.path, "pending");
    }
  }

  start(): void {
    this.draw();
    this.timer = setInterval(() => this.draw(), FRAME_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.draw();
  }

  note(text: string): void {
    this.notes.push(text);
    this.draw();
  }

  apply(change: RunChange): void {
    if (change.type === "task") {
      const view = this.views.get(change.row.path);
      if (!view) return;
      view.state = change.row.state;
      view.attempt = change.row.attempt;
      view.startedAt = change.row.started_at;
      view.finishedAt = change.row.finished_at;
      delete view.retryAt;
      this.states.set(change.row.path, change.row.state);
    } else if (change.type === "progress") {
      const view = this.views.get(change.path);
      if (view) view.progress = { done: change.done, total: change.total };
    } else if (change.type === "retry") {
      const view = this.views.get(change.path);
      if (view) {
        view.state = "running";
        view.retryAt = Date.now() + change.delayMs;
        this.states.set(change.path, "running");
      }
    }
  }

  private draw(): void {
    const lines = this.render();
    const clear = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\x1b[J` : "";
    this.out.write(clear + lines.join("\n") + "\n");
    this.drawnLines = lines.length;
    this.frame++;
  }

  private render(): string[] {
    // A pseudo-terminal may report 0 rows when nobody set its size.
    const rows = (this.out.rows || 40) - 4;
    const lines: string[] = [];
    const nodes = this.plan.nodes;
    const all = nodes.map((node) => this.line(node.path, node.type, depth(node.path)));
    if (all.length <= rows) lines.push(...all);
    else {
      // Too tall: show what is happening (running, failed), fold the rest into counts.
      const interesting = nodes.filter((node) => node.type === "task" && ["running", "failed", "timed_out"].includes(this.states.get(node.path) ?? ""));
      for (const node of interesting.slice(0, rows - 1)) lines.push(this.line(node.path, node.type, 0));
      const counts = new Map<TaskState, number>();
      for (const state of this.states.values()) counts.set(state, (counts.get(state) ?? 0) + 1);
      lines.push(pc.dim(`… ${[...counts].map(([state, count]) => `${count} ${state}`).join(", ")}`));
    }
    for (const text of this.notes) lines.push(pc.yellow(text));
    return lines;
  }

  private line(path: string, type: "task" | "group" | "array", indent: number): string {
    const name = "  ".repeat(indent) + (path.split("/").pop() ?? path);
    if (type !== "task") {
      const state = nodeState(this.plan, this.states, path);
      return `${paint(state, ICONS[state])} ${pc.bold(name)}`;
    }
    const view = this.views.get(path)!;
    const icon = view.state === "running" ? pc.cyan(SPINNER[this.frame % SPINNER.length]!) : paint(view.state, ICONS[view.state]);
    const end = view.finishedAt ?? Date.now();
    const took = view.startedAt !== null ? duration(end - view.startedAt) : "";
    const parts = [icon, paint(view.state, name.padEnd(24)), pc.dim(took.padStart(7))];
    if (view.retryAt !== undefined) parts.push(pc.yellow(`retry in ${duration(Math.max(0, view.retryAt - Date.now()))}`));
    else if (view.attempt > 1) parts.push(pc.yellow(`attempt ${view.attempt}`));
    if (view.state === "running" && view.progress) parts.push(progressBar(view.progress.done, view.progress.total));
    if (view.state !== "running" && view.state !== "pending" && view.state !== "succeeded") parts.push(paint(view.state, view.state.replace("_", " ")));
    return parts.join(" ");
  }
}

function depth(path: string): number {
  return path.split("/").length - 1;
}
