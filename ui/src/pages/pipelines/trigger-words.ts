/**
 * Triggers in plain words. The engine's own reading (the `description` of a
 * trigger, when the API sends one) wins; until then this covers the common
 * shapes and shows any other cron expression as written, never a guess.
 */
import { everyWords, formatInterval as intervalWords } from "../../../../src/time/interval-words";
import type { TriggerDef } from "../../api/types";

const NICKNAMES: Record<string, string> = {
  "@yearly": "every year on 1 January at 00:00",
  "@annually": "every year on 1 January at 00:00",
  "@monthly": "on the 1st of every month at 00:00",
  "@weekly": "every Sunday at 00:00",
  "@daily": "every day at 00:00",
  "@midnight": "every day at 00:00",
  "@hourly": "every hour, on the hour",
};

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const DAY_ABBREVIATIONS: Record<string, number> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };

const isNumber = (field: string) => /^\d{1,2}$/.test(field);
const two = (value: string) => value.padStart(2, "0");

function dayNumber(token: string): number | undefined {
  if (/^\d$/.test(token)) return Number(token);
  return DAY_ABBREVIATIONS[token.toUpperCase()];
}

/** "Monday to Friday", "Monday, Wednesday and Friday"; undefined for what it cannot read. */
function daysWords(field: string): string | undefined {
  const range = /^(\w+)-(\w+)$/.exec(field);
  if (range) {
    const [from, to] = [dayNumber(range[1]!), dayNumber(range[2]!)];
    if (from === undefined || to === undefined) return undefined;
    if (from === 1 && to === 5) return "on weekdays";
    return `${DAY_NAMES[from]} to ${DAY_NAMES[to]}`;
  }
  const days = field.split(",").map(dayNumber);
  if (days.some((day) => day === undefined)) return undefined;
  const names = days.map((day) => `${DAY_NAMES[day!]}s`);
  return `on ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`}`;
}

/** A plain reading of the common cron shapes; undefined for the rest. */
export function cronWords(expression: string): string | undefined {
  const text = expression.trim().replace(/\s+/g, " ");
  const nickname = NICKNAMES[text.toLowerCase()];
  if (nickname) return nickname;
  const fields = text.split(" ");
  if (fields.length !== 5) return undefined;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  if (month !== "*") return undefined;
  const step = /^\*\/(\d+)$/;
  // Every N minutes, every hour at :MM, every N hours.
  if (dayOfMonth === "*" && dayOfWeek === "*") {
    if (minute === "*" && hour === "*") return "every minute";
    const minuteStep = step.exec(minute);
    if (minuteStep && hour === "*") return everyWords(Number(minuteStep[1]) * 60_000);
    if (isNumber(minute) && hour === "*") return minute === "0" ? "every hour, on the hour" : `every hour at minute ${Number(minute)}`;
    const hourStep = step.exec(hour);
    if (isNumber(minute) && hourStep) return `${everyWords(Number(hourStep[1]) * 3_600_000)}, at minute ${Number(minute)}`;
  }
  if (!isNumber(minute)) return undefined;
  const hours = hour.split(",");
  if (!hours.every(isNumber)) return undefined;
  const times = hours.map((h) => `${two(h)}:${two(minute)}`).join(", ");
  if (dayOfMonth === "*" && dayOfWeek === "*") return `every day at ${times}`;
  if (dayOfMonth === "*") {
    const days = daysWords(dayOfWeek);
    return days ? `${days} at ${times}` : undefined;
  }
  if (dayOfWeek === "*" && isNumber(dayOfMonth)) return `on day ${Number(dayOfMonth)} of every month at ${times}`;
  if (dayOfWeek === "*" && dayOfMonth === "L") return `on the last day of every month at ${times}`;
  return undefined;
}

function zoneSuffix(trigger: TriggerDef): string {
  return trigger.timezone ? ` (${trigger.timezone})` : "";
}

/** A time with an offset in the UI's format; one without is read in the trigger's zone by the engine, so it is shown as written. */
function timeText(value: string, trigger: TriggerDef, formatTime: (iso: string) => string): string {
  if (/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(value)) return formatTime(value);
  return `${value.replace("T", " ")} ${trigger.timezone ?? "(engine's time zone)"}`;
}

export function triggerWords(trigger: TriggerDef, formatTime: (iso: string) => string): string {
  if (trigger.description) return trigger.description;
  let text: string;
  switch (trigger.kind) {
    case "cron": {
      const cron = trigger.cron ?? "";
      text = `${cronWords(cron) ?? `on the cron schedule “${cron}”`}${zoneSuffix(trigger)}`;
      break;
    }
    case "every":
      if (trigger.after_finish) text = `${intervalWords(trigger.every ?? 0)} after each run finishes`;
      else if (trigger.align) {
        const calendar = (trigger.every ?? 0) >= 86_400_000;
        text = `${everyWords(trigger.every ?? 0)}, aligned to the ${calendar ? `calendar${trigger.timezone ? ` (${trigger.timezone})` : ""}` : "clock (UTC)"}`;
      } else text = everyWords(trigger.every ?? 0);
      break;
    case "at":
      text = `once, at ${trigger.at ? timeText(trigger.at, trigger, formatTime) : "a set time"}`;
      break;
    case "watch":
      text = `when files change in ${[trigger.watch ?? []].flat().join(", ")}`;
      break;
    case "webhook":
      text = "when its webhook is called";
      break;
    case "after": {
      const status = trigger.after?.status ?? "success";
      text = `after ${trigger.after?.pipeline ?? "another pipeline"} ${status === "any" ? "finishes" : status === "failure" ? "fails" : "succeeds"}`;
      break;
    }
    default:
      text = String((trigger as { kind?: unknown }).kind ?? "a trigger");
  }
  if (trigger.start) text += `, from ${timeText(trigger.start, trigger, formatTime)}`;
  if (trigger.end) text += `, until ${timeText(trigger.end, trigger, formatTime)}`;
  if (trigger.jitter) text += `, delayed by up to ${intervalWords(trigger.jitter)} of jitter`;
  return text;
}
