/**
 * `spire next (PIPELINE | CRON)`: a plain-words reading of a schedule and its
 * next fire times, with DST changes marked. A cron expression needs no engine;
 * a pipeline is read from the engine (or from -f FILE).
 */
import { resolve } from "node:path";
import pc from "picocolors";
import type { TriggerDef } from "../../definitions/schema.js";
import { checkCron, checkTrigger, checkZone, describeTrigger, nextTimes, parseTime, scheduleOf, systemZone, type NextTime } from "../../time/index.js";
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
  const triggers = looksLikeCron(subject) ? [cronTrigger(subject, options.tz)] : await pipelineTriggers(subject, options);
  const timed = triggers.filter((trigger) => ["cron", "every", "at"].includes(trigger.kind));
  if (timed.length === 0) throw new CliError(`${subject} has no time triggers (cron, every, at)`, EXIT.usage, "Its runs start by hand, webhook, file change or another pipeline.");
  // A file was checked when it was loaded; a definition from the engine may predate today's checks.
  for (const trigger of timed) {
    const problem = checkTrigger(trigger, { defaultZone: zone });
    if (problem !== undefined) throw new CliError(`${subject}: a trigger cannot be scheduled: ${problem}`, EXIT.usage, "Fix it in its definitions file (spire validate -f FILE says where) and apply it again.");
  }

  const description = timed.map((trigger) => describeTrigger(trigger, { defaultZone: zone })).join("; ");
  const merged: NextTime[] = timed
    .flatMap((trigger) => nextTimes(scheduleOf(trigger, { defaultZone: zone }), from, count, trigger.timezone ?? zone))
    .sort((a, b) => a.at - b.at)
    .slice(0, count);
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

function looksLikeCron(subject: string): boolean {
  return subject.startsWith("@") || subject.trim().includes(" ");
}

function cronTrigger(expression: string, timezone: string | undefined): TriggerDef {
  const problem = checkCron(expression);
  if (problem) throw new CliError(problem, EXIT.usage, 'A cron has 5 fields (minute hour day month weekday), or 6 with seconds first; or @hourly, @daily, @weekly, @monthly, @yearly. Quote it: spire next "0 3 * * *"');
  return { kind: "cron", cron: expression, ...(timezone ? { timezone } : {}) };
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
