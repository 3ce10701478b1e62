/** `spire runs [PIPELINE]`: run history, newest first. */
import pc from "picocolors";
import type { RunState } from "../../store/port.js";
import { CliError, EXIT } from "../errors.js";
import { withClient, type Target } from "../connect.js";
import { ICONS, clock, duration, paint } from "../render/format.js";
import { resolvePipeline } from "../resolve.js";

const STATES: RunState[] = ["queued", "running", "succeeded", "failed", "canceled", "skipped", "interrupted"];

export async function runsCommand(pipeline: string | undefined, options: Target & { status?: string; ns?: string; limit: string; json?: boolean }): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError(`--limit must be a whole number from 1 to 1000, got ${JSON.stringify(options.limit)}`, EXIT.usage);
  if (options.status !== undefined && !STATES.includes(options.status as RunState)) {
    throw new CliError(`--status ${JSON.stringify(options.status)} is not a run state`, EXIT.usage, `Run states: ${STATES.join(", ")}`);
  }
  const runs = await withClient(options, async (client) => {
    const slash = pipeline?.indexOf("/") ?? -1;
    const namespace = slash > 0 ? pipeline!.slice(0, slash) : options.ns;
    const name = slash > 0 ? pipeline!.slice(slash + 1) : pipeline;
    const query = {
      limit,
      ...(name !== undefined ? { pipeline: name } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(options.status !== undefined ? { state: options.status as RunState } : {}),
    };
    const { runs } = await client.listRuns(query);
    // No runs of that name: a pipeline that exists has none yet; a misspelt one gets a did-you-mean.
    if (runs.length === 0 && name !== undefined) await resolvePipeline(client, name, namespace);
    return runs;
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    return;
  }
  if (runs.length === 0) {
    process.stdout.write(pc.dim(`no runs${pipeline ? ` of ${pipeline}` : ""}${options.status ? ` ${options.status}` : ""} yet — start one with: spire run ${pipeline ?? "PIPELINE"}\n`));
    return;
  }
  const header = ["RUN", "PIPELINE", "STATE", "STARTED", "DURATION", "TRIGGER"];
  const table = runs.map((run) => [
    run.id,
    `${run.namespace}/${run.pipeline}`,
    `${ICONS[run.state]} ${run.state}`,
    clock(run.started_at ?? run.created_at),
    duration(run.duration_ms),
    run.trigger.kind,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((row) => row[column]!.length)));
  process.stdout.write(pc.dim(header.map((title, column) => title.padEnd(widths[column]!)).join("  ")) + "\n");
  table.forEach((row, index) => {
    const cells = row.map((cell, column) => cell.padEnd(widths[column]!));
    cells[2] = paint(runs[index]!.state, cells[2]!);
    process.stdout.write(cells.join("  ").trimEnd() + "\n");
  });
}
