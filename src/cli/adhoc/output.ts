/**
 * How an ad hoc run looks: like running the command itself — its stdout on
 * stdout and its stderr on stderr, live — then one line on stderr saying how
 * the run ended and where it is kept. A one-task tree would only hide the
 * output a person ran the command for, and `spire run -- cmd | grep …`
 * should see nothing but the command's own output.
 */
import pc from "picocolors";
import type { RunChange } from "../../engine/runs/run-controller.js";
import type { RunObject } from "../../engine/reads/run-object.js";
import type { Renderer } from "../render/run-renderer.js";
import { ICONS, duration, paint } from "../render/format.js";

export class OutputRenderer implements Renderer {
  onChange(change: RunChange): void {
    if (change.type !== "line") return;
    (change.line.stream === "stderr" ? process.stderr : process.stdout).write(`${change.line.line}\n`);
  }

  note(text: string): void {
    process.stderr.write(`${pc.dim(text)}\n`);
  }

  async finish(run: RunObject): Promise<void> {
    process.stderr.write(`${summary(run)}\n`);
  }
}

function summary(run: RunObject): string {
  const task = run.tasks[0];
  const why = run.state === "succeeded" ? "" : task?.reason ? `: ${task.reason}` : task?.exit_code !== null && task?.exit_code !== undefined ? `: exit code ${task.exit_code}` : run.reason ? `: ${run.reason}` : "";
  return `${paint(run.state, `${ICONS[run.state]} run ${run.id} ${run.state}`)}${why} in ${duration(run.duration_ms) || "0ms"} ${pc.dim(`(${run.namespace}/${run.pipeline})`)}`;
}
