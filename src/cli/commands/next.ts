/**
 * `spire next (PIPELINE | CRON)`: a plain-words reading of a schedule and its
 * next fire times, with DST changes marked. A cron expression needs no engine;
 * a pipeline is read from the engine (or from -f FILE).
 */
import { looksLikeWhen, whenTrigger } from "../adhoc/when-trigger.js";
import pc from "picocolors";
import type { TriggerDef } from "../../definitions/schema.js";
import { checkZone, parseTime, systemZone } from "../../time/index.js";
import { CRON_HINT, ENGINE_SLOTS_MAX, cronTrigger, looksLikeCron, previewAppliedSchedule, previewSchedule, type PreviewOptions, type SchedulePreview } from "../../time/preview.js";
import { CliError, EXIT } from "../errors.js";
import { withClient } from "../connect.js";
import { timesInUtc } from "../render/format.js";
import { displayName, loadFileOrFail } from "../context.js";
import { resolvePipeline } from "../resolve.js";

export interface NextOptions {
  /** --allow-http-file: -f may be a plain http:// URL. */
  allowHttpFile?: boolean;
  count: string;
  tz?: string;
  from?: string;
  json?: boolean;
  file?: string;
  data?: string;
  engine?: string;
}

export async function nextCommand(subject: string, options: NextOptions): Promise<void> {
  const count = Number(options.count);
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new CliError(`-n must be a whole number from 1 to 1000, got ${JSON.stringify(options.count)}`, EXIT.usage);
  const zone = options.tz ?? (timesInUtc() ? "UTC" : systemZone());
  const zoneProblem = checkZone(zone);
  if (zoneProblem) throw new CliError(`--tz: ${zoneProblem}`, EXIT.usage, "Use an IANA zone name such as Europe/Berlin or America/New_York.");
  let from: number | undefined;
  if (options.from !== undefined) {
    const parsed = parseTime(options.from, zone);
    if (!parsed.ok) throw new CliError(`--from: ${parsed.error}`, EXIT.usage, "For example: --from 2026-12-24T18:00 (read in --tz, or give an offset)");
    from = parsed.ms;
  }
  const previewOptions = { zone, now: Date.now(), count, ...(from !== undefined ? { from } : {}) };
  const preview = looksLikeWhen(subject)
    ? previewSchedule(subject, [whenTrigger(subject, options.tz, { prefix: "", takes: "spire next takes a pipeline, or", at: "spire next" })], previewOptions)
    : looksLikeCron(subject)
      ? previewSchedule(subject, [cronTriggerOrFail(subject, options.tz)], previewOptions)
      : await pipelinePreview(subject, options, previewOptions);
  if (!preview.ok) throw new CliError(preview.problem, EXIT.usage, preview.hint);
  const { description, next: merged, note } = preview;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ description, next: merged.map((time) => time.iso), ...(note !== undefined ? { note } : {}) }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${description}\n`);
  if (note !== undefined) process.stdout.write(pc.yellow(`  ${note}\n`));
  else if (merged.length === 0) process.stdout.write(pc.dim(`  ${options.from === undefined ? "no fire times left" : "no fire times after --from"}\n`));
  for (const time of merged) {
    const change = time.dstChange ? pc.yellow(`   ← the clock changes here: ${time.dstChange.before} → ${time.dstChange.after}`) : "";
    process.stdout.write(`  ${time.iso.replace("T", " ")}${change}\n`);
  }
}

function cronTriggerOrFail(expression: string, timezone: string | undefined): TriggerDef {
  const made = cronTrigger(expression, timezone);
  if (!made.ok) throw new CliError(made.problem, EXIT.usage, `${CRON_HINT} Quote it: spire next "0 3 * * *"`);
  return made.trigger;
}

/**
 * A pipeline from -f FILE is read as if applied now; one the engine has is
 * shown as the engine's scheduler has it (an unaligned `every` counts from
 * when the engine first scheduled it).
 */
async function pipelinePreview(name: string, options: NextOptions, previewOptions: PreviewOptions): Promise<SchedulePreview> {
  if (options.file !== undefined) {
    const { file } = await loadFileOrFail(options.file, undefined, { notDone: "No times were worked out.", allowHttpFile: options.allowHttpFile === true });
    const pipeline = file.pipelines[name];
    if (!pipeline) throw new CliError(`${displayName(options.file)} has no pipeline "${name}"`, EXIT.usage, `Its pipelines: ${Object.keys(file.pipelines).join(", ")}`);
    return previewSchedule(name, pipeline.triggers, previewOptions);
  }
  return withClient(options, async (client) => {
    const { namespace, name: pipeline } = await resolvePipeline(client, name);
    const asked = Math.min(previewOptions.count, ENGINE_SLOTS_MAX);
    const detail = await client.getPipeline(namespace, pipeline, { next: asked });
    return previewAppliedSchedule(`${namespace}/${pipeline}`, detail, { ...previewOptions, asked, engineRunning: client.location.kind === "engine" });
  });
}
