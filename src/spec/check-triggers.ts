/**
 * Triggers: one-shot and window times must be ISO 8601 date-times; a time
 * zone must be one the runtime knows (IANA). Cron syntax is checked by the
 * time module.
 */
import type { CheckContext } from "./check-context.js";
import { rawPipelines } from "./raw-walk.js";
import { suggest } from "./suggest.js";
import { isRecord } from "./zod-issues.js";
import { checkZone } from "../time/zone.js";

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|[+-](\d{2})(?::?(\d{2}))?)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const EXAMPLE = "an ISO 8601 date-time such as 2026-12-24T18:00:00+01:00";

export function checkTriggers(root: unknown, context: CheckContext): void {
  for (const pipeline of rawPipelines(root)) {
    const triggers = pipeline.pipeline["triggers"];
    if (!Array.isArray(triggers)) continue;
    triggers.forEach((trigger, index) => {
      if (!isRecord(trigger)) return;
      const path = [...pipeline.path, "triggers", index];
      for (const field of ["at", "start", "end"]) {
        const value = trigger[field];
        if (typeof value === "string" && !isIsoDateTime(value)) {
          context.report([...path, field], `${JSON.stringify(value)} is not a date and time`, {
            expected: EXAMPLE,
            ...(ISO_DATE.test(value.trim()) ? { hint: `add a time: ${value.trim()}T00:00:00` } : {}),
          });
        }
      }
      const zone = trigger["timezone"];
      if (typeof zone === "string" && !isTimeZone(zone)) {
        const guess = suggest(zone, knownZones());
        context.report([...path, "timezone"], `unknown time zone ${JSON.stringify(zone)}`, {
          expected: "an IANA time zone such as Europe/Berlin or UTC",
          ...(guess !== undefined ? { hint: `did you mean \`${guess}\`?` } : {}),
        });
      }
    });
  }
}

export function isIsoDateTime(text: string): boolean {
  const match = ISO_DATE_TIME.exec(text.trim());
  if (match === null) return false;
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth && hour! <= 23 && minute! <= 59 && second! <= 59 && offsetHour! <= 23 && offsetMinute! <= 59;
}

export function isTimeZone(zone: string): boolean {
  return zone.trim() !== "" && checkZone(zone) === undefined;
}

let zones: string[] | undefined;
function knownZones(): string[] {
  zones ??= Intl.supportedValuesOf("timeZone");
  return zones;
}
