/**
 * `spire gc`: apply retention now. Through the engine when one answers (an
 * admin-scope API call); else directly on the data folder, with the limits
 * its last engine was started with. Either way the store removes only
 * finished runs, so a run in progress is safe from both.
 */
import pc from "picocolors";
import { formatBytes } from "../../exec/format.js";
import { Retention, type SweepReport } from "../../engine/retention.js";
import { EngineClient, engineAnswers, findEngine } from "../client.js";
import { openStore } from "../context.js";
import { CliError, EXIT } from "../errors.js";
import { table } from "../render/table.js";
import { loadRetentionDefaults } from "../retention-options.js";

export interface GcOptions {
  dryRun?: boolean;
  json?: boolean;
  data?: string;
  engine?: string;
}

/** Runs named in the human answer; --json has them all (up to the report's own limit). */
const SHOWN = 20;

export async function gcCommand(options: GcOptions): Promise<void> {
  const dryRun = options.dryRun === true;
  const report = await sweep(options, dryRun);
  if (options.json) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(describe(report));
}

async function sweep(options: GcOptions, dryRun: boolean): Promise<SweepReport> {
  const target = findEngine(options);
  if (target && (await engineAnswers(target))) return new EngineClient(target).call<SweepReport>("POST", "/gc", { dry_run: dryRun });
  if (options.engine ?? process.env.SPIRE_ENGINE) {
    throw new CliError(`cannot reach the engine at ${target?.url}`, EXIT.unreachable, "Start it, or leave out --engine and SPIRE_ENGINE to clean this machine's data folder directly.");
  }
  const { store, dir } = await openStore(options.data);
  try {
    return await new Retention({ store, dataDir: dir, defaults: loadRetentionDefaults(dir) }).sweep({ dryRun });
  } finally {
    await store.close();
  }
}

function describe(report: SweepReport): string {
  const verb = report.dry_run ? "would remove" : "removed";
  const runs = `${report.removed} run${report.removed === 1 ? "" : "s"}`;
  let text = report.removed > 0 ? `${verb} ${runs} (${formatBytes(report.bytes)})\n` : report.orphans === 0 ? "nothing to remove: every run is within its pipeline's retention\n" : "";
  if (report.runs.length > 0) {
    const rows = report.runs.slice(0, SHOWN).map((run) => [`${run.namespace}/${run.pipeline}`, run.id, run.state, run.finished_at ?? "-", formatBytes(run.bytes)]);
    text += table(["PIPELINE", "RUN", "STATE", "FINISHED", "SIZE"], rows);
    if (report.removed > SHOWN) text += pc.dim(`… and ${report.removed - SHOWN} more (--json lists up to ${report.runs.length})\n`);
  }
  if (report.orphans > 0) text += `${verb} ${report.orphans} leftover folder${report.orphans === 1 ? "" : "s"} of runs that no longer exist (${formatBytes(report.orphan_bytes)})\n`;
  if (report.dry_run) text += pc.dim("dry run: nothing was removed. Run spire gc to remove them.\n");
  return text;
}
