/**
 * `spire next (PIPELINE | CRON)`: a plain-words reading of a schedule and its
 * next fire times, with DST changes marked. A cron expression needs no engine;
 * a pipeline is read from the engine (or from -f FILE).
 */
import { parseWhen, triggersOf, WHEN_FORMS } from "../adhoc/job.js";
import { triggerSchema } from "../../definitions/schema.js";
import pc from "picocolors";
import type { TriggerDef } from "../../definitions/schema.js";
import { checkZone, parseTime, systemZone } from "../../time/index.js";
import { CRON_HINT, cronTrigger, looksLikeCron, previewSchedule } from "../../time/preview.js";
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
  let from = Date.now();
  if (options.from !== undefined) {
    const parsed = parseTime(options.from, zone);
    if (!parsed.ok) throw new CliError(`--from: ${parsed.error}`, EXIT.usage, "For example: --from 2026-12-24T18:00 (read in --tz, or give an offset)");
    from = parsed.ms;
  }
  const triggers = /^(every|at)\s/.test(subject.trim())
    ? [plainTriggerOrFail(subject, options.tz)]
    : looksLikeCron(subject)
      ? [cronTriggerOrFail(subject, options.tz)]
      : await pipelineTriggers(subject, options);
  const preview = previewSchedule(subject, triggers, { zone, from, count });
  if (!preview.ok) throw new CliError(preview.problem, EXIT.usage, preview.hint);
  const { description, next: merged } = preview;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ description, next: merged.map((time) => time.iso) }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${description}\n`);
  if (merged.length === 0) process.stdout.write(pc.dim(`  ${options.from === undefined ? "no fire times left" : "no fire times after --from"}\n`));
  for (const time of merged) {
    const change = time.dstChange ? pc.yellow(`   ← the clock changes here: ${time.dstChange.before} → ${time.dstChange.after}`) : "";
    process.stdout.write(`  ${time.iso.replace("T", " ")}${change}\n`);
  }
}

/** "every 5m" or "at 2026-12-24T18:00", as spire run --when takes them: the trigger a definitions file would have. */
function plainTriggerOrFail(subject: string, timezone: string | undefined): TriggerDef {
  // Read as run --when reads it, said as spire next's: here there is no --when.
  const when = parseWhen(subject, { prefix: "", takes: "spire next takes a pipeline, or", at: "spire next" });
  const parsed = triggerSchema.safeParse({ ...triggersOf(when)[0], ...(timezone ? { timezone } : {}) });
  if (!parsed.success) throw new CliError(`${JSON.stringify(subject)} is not a schedule: ${parsed.error.issues[0]?.message ?? "unknown"}`, EXIT.usage, `spire next takes a pipeline, a cron in quotes, or ${WHEN_FORMS}`);
  return parsed.data;
}

function cronTriggerOrFail(expression: string, timezone: string | undefined): TriggerDef {
  const made = cronTrigger(expression, timezone);
  if (!made.ok) throw new CliError(made.problem, EXIT.usage, `${CRON_HINT} Quote it: spire next "0 3 * * *"`);
  return made.trigger;
}

async function pipelineTriggers(name: string, options: NextOptions): Promise<TriggerDef[]> {
  if (options.file !== undefined) {
    const { file } = await loadFileOrFail(options.file, undefined, { allowHttpFile: options.allowHttpFile === true });
    const pipeline = file.pipelines[name];
    if (!pipeline) throw new CliError(`${displayName(options.file)} has no pipeline "${name}"`, EXIT.usage, `Its pipelines: ${Object.keys(file.pipelines).join(", ")}`);
    return pipeline.triggers;
  }
  return withClient(options, async (client) => {
    const { namespace, name: pipeline } = await resolvePipeline(client, name);
    return (await client.getPipeline(namespace, pipeline)).definition.triggers;
  });
}
