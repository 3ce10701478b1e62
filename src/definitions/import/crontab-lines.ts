/**
 * A crontab read line by line as cron reads it (Vixie cron and cronie, the
 * crons of Linux distributions and macOS): blank lines, comments,
 * `NAME=value` settings that apply to the lines after them, and jobs
 * (`m h dom mon dow command`, `@nickname command`, with a user after the
 * schedule in a system crontab). Pure: no I/O.
 */
import { checkCron } from "../../time/cron.js";

export type CrontabLine =
  | { kind: "blank"; line: number }
  | { kind: "comment"; line: number; text: string }
  | { kind: "env"; line: number; name: string; value: string }
  | { kind: "job"; line: number; text: string; job: CronJob }
  /** A comment that reads as a job: one the user switched off. */
  | { kind: "disabled"; line: number; text: string; job: CronJob }
  | { kind: "bad"; line: number; text: string; why: string };

export interface CronJob {
  /** The 5 fields as Spire reads them (cronie's `N/S` written out), or a nickname such as `@daily`; `@reboot` has none. */
  schedule: string;
  /** The schedule as written in the crontab. */
  written: string;
  /** The user field of a system crontab. */
  user?: string;
  /** The command as written, `%` and all. */
  command: string;
}

const FIELD_MAX = [59, 23, 31, 12, 7] as const;
const NICKNAMES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@reboot"]);
// cron's own reading: a name, optional blanks, '=', the rest (cronie accepts blanks around '=').
const ENV_LINE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;
/** `m h  dom mon dow   command`, the line that names a crontab's fields. */
export const FIELD_HEADER = /^\s*m(in(ute)?)?\s+h(our)?\s+dom\b/i;

/** Every line of a crontab; `system`: each job has a user field after its schedule. */
export function readCrontabLines(text: string, system: boolean): CrontabLine[] {
  const lines = text
    .replace(/\n$/, "")
    .split(/\r?\n/)
    .map((raw, index) => readLine(raw, index + 1, system));
  return withHeaderExamples(lines);
}

/**
 * The header `crontab -e` writes on Debian and Ubuntu explains the format
 * with an example job (`# 0 5 * * 1 tar -zcf /var/backups/home.tgz /home/`)
 * and ends with `# m h  dom mon dow   command`: in the comments that open a
 * crontab, up to such a field header, a job is an example, not one switched off.
 */
function withHeaderExamples(lines: CrontabLine[]): CrontabLine[] {
  const opening = lines.findIndex((line) => line.kind !== "blank" && line.kind !== "comment" && line.kind !== "disabled");
  const end = opening < 0 ? lines.length : opening;
  let header = -1;
  for (let index = 0; index < end; index++) {
    const line = lines[index]!;
    if (line.kind === "comment" && FIELD_HEADER.test(line.text)) header = index;
  }
  return lines.map((line, index) => (index < header && line.kind === "disabled" ? { kind: "comment", line: line.line, text: line.text } : line));
}


function readLine(raw: string, line: number, system: boolean): CrontabLine {
  const text = raw.trim();
  if (text === "") return { kind: "blank", line };
  if (text.startsWith("#")) {
    const inner = text.replace(/^#+\s*/, "");
    const job = inner === "" ? undefined : parseJob(inner, system);
    return job !== undefined && !("why" in job) ? { kind: "disabled", line, text: inner, job } : { kind: "comment", line, text: text.replace(/^#\s?/, "") };
  }
  const env = ENV_LINE.exec(text);
  if (env) return { kind: "env", line, name: env[1]!, value: unquote(env[2]!.trimEnd()) };
  const job = parseJob(text, system);
  return "why" in job ? { kind: "bad", line, text, why: job.why } : { kind: "job", line, text, job };
}

/** cron strips one pair of matching quotes around a value (to keep blanks at its ends). */
function unquote(value: string): string {
  const quoted = /^(["'])(.*)\1$/s.exec(value);
  return quoted ? quoted[2]! : value;
}

function parseJob(text: string, system: boolean): CronJob | { why: string } {
  const words = text.split(/[ \t]+/);
  if (words[0]!.startsWith("@")) {
    const nickname = words[0]!.toLowerCase();
    if (!NICKNAMES.has(nickname)) return { why: `${words[0]} is not a schedule cron knows (@reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)` };
    return withCommand(text, 1, system, { schedule: nickname === "@reboot" ? "" : nickname, written: words[0]! });
  }
  if (words.length < 5) return { why: "a job has 5 schedule fields (minute hour day-of-month month day-of-week) and then its command" };
  const fields = words.slice(0, 5).map(writeOutOpenSteps);
  const problem = checkCron(fields.join(" "));
  if (problem !== undefined) return { why: problem };
  return withCommand(text, 5, system, { schedule: fields.join(" "), written: words.slice(0, 5).join(" ") });
}

/** The job with its (user and) command: the text after `skip` words, as written. */
function withCommand(text: string, skip: number, system: boolean, schedule: Pick<CronJob, "schedule" | "written">): CronJob | { why: string } {
  let rest = afterWords(text, skip);
  let user: string | undefined;
  if (system) {
    user = rest.split(/[ \t]/, 1)[0];
    if (user === undefined || user === "" || !USER_NAME.test(user)) return { why: "a system crontab names the user after the schedule, then the command" };
    rest = afterWords(rest, 1);
  }
  if (rest === "") return { why: `no command after ${system ? "the user" : "the schedule"}` };
  return { ...schedule, ...(user === undefined ? {} : { user }), command: rest };
}

/** The text after the first `count` blank-separated words, its inner blanks untouched. */
function afterWords(text: string, count: number): string {
  const match = new RegExp(`^(?:[^ \\t]+[ \\t]+){${count}}`).exec(`${text} `);
  return match ? text.slice(Math.min(match[0].length, text.length)).trimEnd() : "";
}

/**
 * cronie reads `N/S` as "from N to the field's end, every S" (Vixie cron
 * refuses it, croner too): written out as the range it means, `N-MAX/S`.
 */
function writeOutOpenSteps(field: string, index: number): string {
  return field
    .split(",")
    .map((item) => item.replace(/^(\d+|[A-Za-z]{3})\/(\d+)$/, (_all, start: string, step: string) => `${start}-${FIELD_MAX[index]}/${step}`))
    .join(",");
}

/**
 * Whether a crontab's jobs carry a user field (/etc/crontab, /etc/cron.d):
 * every job still reads as one with a user word after its schedule, and
 * some job names `root` there.
 */
export function looksLikeSystemCrontab(text: string): boolean {
  const asSystem = readCrontabLines(text, true);
  const jobs = readCrontabLines(text, false).filter((line) => line.kind === "job");
  const withUser = jobs.map((line) => asSystem[line.line - 1]!);
  return jobs.length > 0 && withUser.every((line) => line.kind === "job") && withUser.some((line) => line.kind === "job" && line.job.user === "root");
}
