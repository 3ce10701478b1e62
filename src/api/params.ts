/**
 * Building blocks for route parameters. Query strings arrive as text, so
 * numbers and booleans are parsed here, with one message per parameter that
 * says what was expected.
 */
import { z } from "zod";
import { NAME_PATTERN } from "../definitions/schema.js";
import { DURATION_PATTERN, parseDurationMs } from "../definitions/units.js";
import { RUN_ID_PATTERN, RUN_ID_SHAPE } from "../engine/runs/ids.js";

/** A whole number in [min, max], given as text in a query string. */
export function wholeNumber(min: number, max: number, error = `expected a whole number from ${min} to ${max}`) {
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** `true`/`false`/`1`/`0` in a query string. */
export const flag = z
  .enum(["true", "false", "1", "0"], { error: "expected true or false" })
  .transform((value) => value === "true" || value === "1");

export const nameParam = (what: string) =>
  z
    .string()
    .max(200, { error: `a ${what} name is at most 200 characters` })
    .regex(NAME_PATTERN, { error: `expected a ${what} name: letters, digits, '_', '.' and '-', not starting with '.' or '-'` });

/** Run ids are 16 lowercase letters and digits; anything else cannot name a run. */
export const runId = z.string().regex(RUN_ID_SHAPE, { error: "expected a run id (lowercase letters and digits)" });

/**
 * A task path as the engine writes it: names joined by `/`, array copies as
 * `[n]`. Checked here so that nothing like `..`, `/etc/passwd` or a NUL ever
 * reaches the service; the service looks the task up in the store anyway.
 */
export const TASK_PATH_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\[\d+\])*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\[\d+\])*)*$/;

export const taskPath = z
  .string()
  .max(1000, { error: "a task path is at most 1000 characters" })
  .regex(TASK_PATH_PATTERN, { error: "expected a task path such as dump, checks/size or shards[2]" })
  .refine((path) => !path.split("/").some((part) => part === ".." || part === "."), { error: "a task path has no '.' or '..' parts" });

/** A time in a query: epoch milliseconds or an ISO 8601 date-time; gives epoch ms. */
export const timeParam = z
  .string()
  .refine((text) => parseTime(text) !== undefined, { error: "expected epoch milliseconds or an ISO 8601 time" })
  .transform((text) => parseTime(text)!);

function parseTime(text: string): number | undefined {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A token lifetime: `30d`, `12h`, or a number of seconds. */
const TTL_EXPECTED = "expected a duration such as 12h or 30d, or a number of seconds";

export const ttl = z
  .union([z.number().positive(), z.string().regex(DURATION_PATTERN, { error: TTL_EXPECTED })], { error: TTL_EXPECTED })
  .transform((value) => parseDurationMs(value)!)
  .refine((ms) => ms >= 1000 && ms <= 10 * 365 * 86_400_000, { error: "expected a lifetime from 1s to 10 years" });

/*
 * Paging cursors. A cursor is only ever the `next_cursor` of an earlier page;
 * one that could not have been is refused (400) rather than answered with an
 * empty or arbitrary page, which a client would take for the end of the list.
 */
const FIRST_PAGE = "or leave it out for the first page";

/** `GET /runs`: a run id (the last run of the previous page). */
export const runCursor = z.string().regex(RUN_ID_PATTERN, {
  error: `not a paging cursor: expected the next_cursor of a previous page (a run id, 16 letters and digits such as 01m92jxkd16f3hng), ${FIRST_PAGE}`,
});

/** A task's log: a byte offset, checked against the log itself by the service (it must start a line). */
export const logCursor = z.string().regex(/^\d{1,15}$/, {
  error: `not a paging cursor: expected the Spire-Next-Cursor header of a previous page (a byte offset: digits), ${FIRST_PAGE}`,
});

/** Audit entries and missed records: the seq of the last entry of the previous page. */
export const seqCursor = wholeNumber(1, Number.MAX_SAFE_INTEGER, `not a paging cursor: expected the next_cursor of a previous page (a whole number), ${FIRST_PAGE}`);

/** An event stream's resume point: Last-Event-ID or `after`. */
export const eventSeq = wholeNumber(0, Number.MAX_SAFE_INTEGER, "expected the id of an event already received (a whole number), or leave it out to start at the first event");

/**
 * A list in a query string: comma-separated (`?status=failed,canceled`) or
 * the parameter repeated (`?status=failed&status=canceled`). Each value is
 * checked by `accepts`; one that is not is named in the 400.
 */
export function listParam<V extends string>(accepts: (value: string) => value is V, expected: string) {
  return z.union([z.string(), z.array(z.string())]).transform((given, ctx) => {
    const values = (Array.isArray(given) ? given : [given]).flatMap((part) => part.split(",")).map((part) => part.trim());
    const wrong = values.filter((value) => !accepts(value));
    if (values.length > 0 && wrong.length === 0) return [...new Set(values)] as V[];
    ctx.addIssue({ code: "custom", message: `${wrong.length > 0 ? `${wrong.map((value) => JSON.stringify(value)).join(", ")}: ` : ""}expected ${expected}` });
    return z.NEVER;
  });
}
