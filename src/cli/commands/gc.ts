/**
 * `spire gc`: apply retention now. Through the engine when one answers (an
 * admin-scope API call); else on the data folder, with the limits its last
 * engine was started with. Either way the store removes only finished runs,
 * so a run in progress is safe.
 */
import pc from "picocolors";
import { formatBytes } from "../../files/format.js";
import type { SweepReport } from "../../client/port.js";
import { withClient, type Target } from "../connect.js";
import { clock } from "../render/format.js";
import { table } from "../render/table.js";

export interface GcOptions extends Target {
  dryRun?: boolean;
  json?: boolean;
}

/** Runs named in the human answer; --json has them all (up to the report's own limit). */
const SHOWN = 20;

export async function gcCommand(options: GcOptions): Promise<void> {
  const dryRun = options.dryRun === true;
  const report = await withClient(options, (client) => client.collectGarbage({ dryRun }));
  if (options.json) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(describe(report));
}

function describe(report: SweepReport): string {
  const verb = report.dry_run ? "would remove" : "removed";
  const runs = `${report.removed} run${report.removed === 1 ? "" : "s"}`;
  let text = report.removed > 0 ? `${verb} ${runs} (${formatBytes(report.bytes)})\n` : report.orphans === 0 ? "nothing to remove: every run is within its pipeline's retention\n" : "";
  if (report.runs.length > 0) {
    const rows = report.runs.slice(0, SHOWN).map((run) => [`${run.namespace}/${run.pipeline}`, run.id, run.state, run.finished_at ? clock(run.finished_at) : "-", formatBytes(run.bytes)]);
    text += table(["PIPELINE", "RUN", "STATE", "FINISHED", "SIZE"], rows);
    if (report.removed > SHOWN) text += pc.dim(`… and ${report.removed - SHOWN} more (--json lists up to ${report.runs.length})\n`);
  }
  if (report.orphans > 0) text += `${verb} ${report.orphans} leftover folder${report.orphans === 1 ? "" : "s"} of runs that no longer exist (${formatBytes(report.orphan_bytes)})\n`;
  if (report.dry_run) text += pc.dim("dry run: nothing was removed. Run spire gc to remove them.\n");
  return text;
}
