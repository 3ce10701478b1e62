/**
 * Cron expressions: croner parses and walks the calendar; Spire decides the
 * dialect and the DST rules.
 *
 * Dialect (documented for users in the trigger's schema text):
 * - 5 fields, or 6 with seconds first; no 7th (year) field.
 * - @yearly @annually @monthly @weekly @daily @midnight @hourly.
 * - L, W, LW (day of month), N#K, N#L, NL (day of week), ?, JAN-DEC, SUN-SAT,
 *   0 and 7 are Sunday.
 * - Day of month and day of week as Vixie cron: when both are restricted a
 *   day matches either (OR); when one of them starts with `*` (as in `*\/2`)
 *   both must match (AND). Croner ORs `*\/2` with a weekday, so the
 *   expression is rewritten with croner's `+` (AND) prefix in that case.
 *   A `+` written by the user keeps croner's meaning: AND.
 *
 * croner runs in UTC here: it only enumerates wall times (see zone.ts), and
 * wall-schedule.ts maps them to instants with Spire's DST rules.
 */
import { Cron } from "croner";
import type { Schedule } from "./schedule.js";
import { wallSchedule, type WallSequence } from "./wall-schedule.js";

// A Map, not an object: a cron such as "constructor" must not find Object's own properties.
const NICKNAMES = new Map([
  ["@yearly", "0 0 1 1 *"],
  ["@annually", "0 0 1 1 *"],
  ["@monthly", "0 0 1 * *"],
  ["@weekly", "0 0 * * 0"],
  ["@daily", "0 0 * * *"],
  ["@midnight", "0 0 * * *"],
  ["@hourly", "0 * * * *"],
]);

const FIELDS_5 = ["minute", "hour", "day-of-month", "month", "day-of-week"] as const;
const FIELDS_6 = ["second", ...FIELDS_5] as const;

const ALLOWED: Record<string, string> = {
  second: "0-59 and * , - / ?",
  minute: "0-59 and * , - / ?",
  hour: "0-23 and * , - / ?",
  "day-of-month": "1-31 and * , - / ? L W (L = last day, 15W = weekday nearest the 15th)",
  month: "1-12, JAN-DEC and * , - / ?",
  "day-of-week": "0-7 (0 and 7 are Sunday), SUN-SAT and * , - / ? L # (FRI#2 = second Friday, 5L = last Friday)",
};

/** The expression as Spire reads it: nicknames expanded, whitespace single. */
export function expandCron(expr: string): string {
  const text = expr.trim().replace(/\s+/g, " ");
  return NICKNAMES.get(text.toLowerCase()) ?? text;
}

const isStar = (field: string): boolean => field.startsWith("*") || field.startsWith("?");
const isAll = (field: string): boolean => field === "*" || field === "?";

const DAY_NUMBERS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/**
 * Day names as numbers, with SUN closing a range as 7 (MON-SUN is 1-7)
 * except after SUN itself: croner 11.0.1 reads every "-SUN" as "-7", so
 * SUN-SUN would match every day.
 */
function dayNamesToNumbers(field: string): string {
  const numbered = field.replace(/(?<![A-Za-z])(sun|mon|tue|wed|thu|fri|sat)(?![A-Za-z])/gi, (name) =>
    String(DAY_NUMBERS[name.toLowerCase()]),
  );
  return numbered.replace(/(?<!\d)(\d+)-0(?!\d)/g, (range, low: string) => (Number(low) > 0 ? `${low}-7` : range));
}

/** The expression handed to croner: day names numbered, Vixie's AND rule made explicit with `+`. */
function croneriseCron(expanded: string): string {
  const fields = expanded.split(" ");
  const dom = fields[fields.length - 3];
  const dow = fields[fields.length - 1];
  if (dom === undefined || dow === undefined) return expanded;
  fields[fields.length - 1] = dayNamesToNumbers(dow);
  if (!isAll(dom) && !isAll(dow) && !dow.startsWith("+") && (isStar(dom) || isStar(dow))) {
    fields[fields.length - 1] = `+${fields[fields.length - 1]}`;
  }
  return fields.join(" ");
}

/** croner's parse of an expanded expression, as Spire runs it (exported for its test). */
export function croner(expanded: string): Cron {
  // Croner's defaults are stated anyway, as they are Spire's dialect:
  // OR of day fields (domAndDow false) unless `+`; Sunday 0 and 7.
  const job = new Cron(croneriseCron(expanded), {
    // utcOffset 0 rather than timezone "UTC": the same instants, but croner
    // then skips its Intl round trips (next() 6 µs instead of 80 µs here).
    utcOffset: 0,
    mode: "5-or-6-parts",
    domAndDow: false,
    alternativeWeekdays: false,
    paused: true,
  });
  dropYearTable(job);
  return job;
}

/**
 * croner fills a 10,000-entry year table (80 KB) for every pattern, and
 * reads it only when the year is not `*` (never here: Spire has no year
 * field). The table is dropped, so a parsed pattern is ~3 KB. It is croner's
 * internal state: when a croner release moves it, nothing is dropped and
 * test/time/cron-year-table.test.ts says so.
 */
function dropYearTable(job: Cron): void {
  const pattern = (job as unknown as { _states?: { pattern?: { starYear?: boolean; year?: number[] } } })._states?.pattern;
  if (pattern?.starYear === true && Array.isArray(pattern.year)) pattern.year = [];
}

function explain(field: string, text: string, error: unknown): string {
  const raw = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, "") : String(error);
  const outOfRange = /Invalid value for \w+/.test(raw);
  const detail = outOfRange
    ? "a value is out of range"
    : /illegal characters/.test(raw)
      ? "an unknown name or character"
      : raw.replace(/\.$/, "");
  return `${field} field "${text}": ${detail}; allowed: ${ALLOWED[field]}`;
}

/**
 * Why a cron expression is wrong, naming the field, or undefined when it is
 * fine. Also rejects expressions that never match (such as 30 February).
 */
export function checkCron(expr: string): string | undefined {
  return explainCron(expr)?.message;
}

export interface CronProblem {
  message: string;
  /** The field the message is about, as written (for pointing at it in a file). */
  field?: string;
}

/** checkCron's answer, with the field it is about. */
export function explainCron(expr: string): CronProblem | undefined {
  // The engine checks every trigger at each refresh: croner parses several patterns per check.
  if (checked.has(expr)) return checked.get(expr);
  const problem = findCronProblem(expr);
  if (checked.size >= SHARED_LIMIT) checked.clear();
  checked.set(expr, problem);
  return problem;
}

const checked = new Map<string, CronProblem | undefined>();

function findCronProblem(expr: string): CronProblem | undefined {
  const prefix = `cron "${expr}"`;
  const expanded = expandCron(expr);
  if (expanded === "") {
    return { message: `${prefix}: empty; write 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly` };
  }
  if (expanded.startsWith("@")) {
    return { message: `${prefix}: unknown nickname; use @hourly, @daily (@midnight), @weekly, @monthly or @yearly (@annually)` };
  }
  const fields = expanded.split(" ");
  if (fields.length !== 5 && fields.length !== 6) {
    return { message: `${prefix}: has ${fields.length} field${fields.length === 1 ? "" : "s"}; write 5 (minute hour day-of-month month day-of-week) or 6 (second first)` };
  }
  const names = fields.length === 5 ? FIELDS_5 : FIELDS_6;
  // Each field alone, with wildcards elsewhere, so the message can name it.
  for (let index = 0; index < fields.length; index++) {
    const probe = fields.map((field, at) => (at === index ? field : "*"));
    try {
      croner(probe.join(" "));
    } catch (error) {
      return { message: `${prefix}: ${explain(names[index]!, fields[index]!, error)}`, field: fields[index]! };
    }
  }
  let job: Cron;
  try {
    job = croner(expanded);
  } catch (error) {
    return { message: `${prefix}: ${error instanceof Error ? error.message.replace(/^CronPattern:\s*/, "") : String(error)}` };
  }
  // Four hundred years hold every calendar pattern (leap years included).
  if (job.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
    return { message: `${prefix}: never matches a date (such as day 30 of February); check day-of-month against month` };
  }
  return undefined;
}

/** Matching wall times of an expression (throws with checkCron's message). */
export function cronWalls(expr: string): WallSequence {
  const problem = checkCron(expr);
  if (problem !== undefined) throw new Error(problem);
  const expanded = expandCron(expr);
  return {
    // croner returns runs strictly after the reference's whole second.
    after: (wall) => compiled(expanded).nextRun(new Date(wall))?.getTime(),
    // previousRuns is strictly before its reference: +1 ms keeps the second itself.
    atOrBefore: (wall) => compiled(expanded).previousRuns(1, new Date(Math.floor(wall / 1000) * 1000 + 1))[0]?.getTime(),
  };
}

/**
 * A hundred yearly crons kept parsed with croner's year tables were 8 MB of
 * an idle engine, hence this cache of the most recently used; the rest are
 * parsed again when asked (~30 µs), which for most is once a slot. Without
 * the tables (dropYearTable) sixteen parsed patterns are ~50 KB.
 */
function compiled(expanded: string): Cron {
  let job = recentlyUsed.get(expanded);
  if (job === undefined) {
    job = croner(expanded);
    if (recentlyUsed.size >= COMPILED_LIMIT) recentlyUsed.delete(recentlyUsed.keys().next().value!);
  } else {
    recentlyUsed.delete(expanded);
  }
  recentlyUsed.set(expanded, job);
  return job;
}

const recentlyUsed = new Map<string, Cron>();
const COMPILED_LIMIT = 16;

const shared = new Map<string, Schedule>();
const SHARED_LIMIT = 256;

/**
 * A cron schedule in a zone, with Spire's DST rules. Triggers with the same
 * expression and zone share one schedule that remembers its last answers:
 * a thousand pipelines on one cron ask for the same next slot at the same
 * instant, and the walk costs tens of microseconds.
 */
export function cronSchedule(expr: string, zone: string): Schedule {
  const key = `${expandCron(expr)}\u0000${zone}`;
  let schedule = shared.get(key);
  if (schedule === undefined) {
    schedule = rememberLast(wallSchedule(cronWalls(expr), zone));
    if (shared.size >= SHARED_LIMIT) shared.clear();
    shared.set(key, schedule);
  }
  return schedule;
}

/** The same schedule, answering a repeated question from memory (its answers never change). */
export function rememberLast(inner: Schedule, size = 8): Schedule {
  const nexts = new Map<number, number | undefined>();
  const prevs = new Map<number, number | undefined>();
  const ask = (memory: Map<number, number | undefined>, at: number, compute: (at: number) => number | undefined) => {
    if (memory.has(at)) return memory.get(at);
    const answer = compute(at);
    if (memory.size >= size) memory.delete(memory.keys().next().value!);
    memory.set(at, answer);
    return answer;
  };
  return {
    next: (after) => ask(nexts, after, inner.next),
    prev: (atOrBefore) => ask(prevs, atOrBefore, inner.prev),
  };
}
