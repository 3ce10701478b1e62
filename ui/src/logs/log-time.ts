/** A log line's time: to the millisecond, local or UTC as chosen for the whole UI. */
import { formatAbsolute } from "../time/format";

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

/** 14:03:07.123 (local) or 13:03:07.123Z (UTC). */
export function clockTime(ts: number, utc: boolean): string {
  const date = new Date(ts);
  if (utc) return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}Z`;
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** 2026-12-05 14:03:07.123 +01:00: the date and zone too (hover text, and the downloaded file). */
export function fullTime(ts: number, utc: boolean): string {
  const absolute = formatAbsolute(ts, utc);
  // formatAbsolute stops at seconds: the milliseconds go right after them.
  const ms = `.${pad(new Date(ts).getUTCMilliseconds(), 3)}`;
  return utc ? absolute.replace(/Z$/, `${ms}Z`) : absolute.replace(/^(\S+ \S+)/, `$1${ms}`);
}
