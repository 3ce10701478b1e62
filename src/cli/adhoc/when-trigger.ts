/**
 * "every 5m" or "at 2026-12-24T18:00", read as `spire run --when` reads
 * them, as the trigger a definitions file would have: what `spire next` and
 * the MCP tool next_fire_times preview besides pipelines and cron expressions.
 */
import { triggerSchema, type TriggerDef } from "../../definitions/schema.js";
import { CliError, EXIT } from "../errors.js";
import { parseWhen, SCHEDULE_FORMS, triggersOf, type WhenReader } from "./job.js";

/** Whether a schedule given in words is an `every` or an `at` (else a pipeline or a cron expression). */
export const looksLikeWhen = (subject: string): boolean => /^(every|at)\s/.test(subject.trim());

/** `reader.takes` opens the hint of a schedule that is not one ("spire next takes a pipeline, or …"): the forms follow, once not among them. */
export function whenTrigger(subject: string, timezone: string | undefined, reader: Omit<WhenReader, "forms">): TriggerDef {
  const when = parseWhen(subject, { ...reader, forms: SCHEDULE_FORMS });
  const parsed = triggerSchema.safeParse({ ...triggersOf(when)[0], ...(timezone ? { timezone } : {}) });
  if (!parsed.success) throw new CliError(`${reader.prefix}${JSON.stringify(subject)} is not a schedule: ${parsed.error.issues[0]?.message ?? "unknown"}`, EXIT.usage, `${reader.takes} ${SCHEDULE_FORMS}`);
  return parsed.data;
}
