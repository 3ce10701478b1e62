/** `spire runs [PIPELINE]`: run history, newest first. */
import pc from "picocolors";
import type { RunState } from "../../store/port.js";
import { CliError, EXIT } from "../errors.js";
import { toRunSummary } from "../../engine/run-object.js";
import { openStore } from "../context.js";
import { ICONS, duration, paint } from "../render/format.js";

const STATES: RunState[] = ["queued", "running", "succeeded", "failed", "canceled", "skipped", "interrupted"];

export async function runsCommand(
  pipeline: string | undefined,
  options: { status?: string; ns?: string; limit: string; json?: boolean; data?: string },
): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new CliError(`--limit must be a whole number from 1 to 10000, got ${JSON.stringify(options.limit)}`);
  if (options.status !== undefined && !STATES.includes(options.status as RunState)) {
    throw new CliError(`--status ${JSON.stringify(options.status)} is not a run state`, EXIT.usage, `Run states: ${STATES.join(", ")}`);
  }
  const { store } = await openStore(options.data);
  try {
    const runs = await store.listRuns({
      limit,
      ...(pipeline !== undefined ? { pipeline } : {}),
      ...(options.status !== undefined ? { state: options.status as RunState } : {}),
      ...(options.ns !== undefined ? { namespace: options.ns } : {}),
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(runs.map(toRunSummary), null, 2)}\n`);
      return;
    }
    if (runs.length === 0) {
      process.stdout.write(pc.dim("no runs yet — start one with: spire run -f spire.yaml\n"));
      return;
    }
    const header = ["RUN", "PIPELINE", "STATE", "STARTED", "DURATION", "TRIGGER"];
    const table = runs.map((run) => [
      run.id,
      `${run.namespace}/${run.pipeline}`,
      `${ICONS[run.state]} ${run.state}`,
      new Date(run.started_at ?? run.created_at).toLocaleString(),
      run.started_at !== null && run.finished_at !== null ? duration(run.finished_at - run.started_at) : "",
      run.trigger.kind,
    ]);
    const widths = header.map((title, column) => Math.max(title.length, ...table.map((row) => row[column]!.length)));
    process.stdout.write(pc.dim(header.map((title, column) => title.padEnd(widths[column]!)).join("  ")) + "\n");
    table.forEach((row, index) => {
      const cells = row.map((cell, column) => cell.padEnd(widths[column]!));
      cells[2] = paint(runs[index]!.state, cells[2]!);
      process.stdout.write(cells.join("  ").trimEnd() + "\n");
    });
  } finally {
    await store.close();
  }
}
