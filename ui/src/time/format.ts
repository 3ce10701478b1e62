/**
 * How the UI writes times and durations: absolute times as
 * `2026-12-05 14:03:07 +01:00` (local, with its offset) or
 * `2026-12-05 13:03:07Z` (UTC), relative ones as "in 3 min" or "5 min ago".
 */

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

function toDate(time: string | number | Date): Date {
  return time instanceof Date ? time : new Date(time);
}

/** The offset of this browser's zone at that instant, as +01:00. */
export function offsetOf(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function formatAbsolute(time: string | number | Date, utc: boolean): string {
  const date = toDate(time);
  if (Number.isNaN(date.getTime())) return String(time);
  if (utc) {
    return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}Z`;
  }
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${offsetOf(date)}`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "in 3 min", "5 min ago", "just now"; past a month, the date. */
export function formatRelative(time: string | number | Date, now: number, utc: boolean): string {
  const date = toDate(time);
  const delta = date.getTime() - now;
  if (Number.isNaN(delta)) return String(time);
  const abs = Math.abs(delta);
  if (abs < 10_000) return delta > 0 ? "in a moment" : "just now";
  let amount: string;
  if (abs < MINUTE) amount = `${Math.round(abs / 1000)} s`;
  else if (abs < HOUR) amount = `${Math.round(abs / MINUTE)} min`;
  else if (abs < DAY) amount = `${Math.round(abs / HOUR)} h`;
  else if (abs < 30 * DAY) {
    const days = Math.round(abs / DAY);
    amount = `${days} ${days === 1 ? "day" : "days"}`;
  } else return formatAbsolute(date, utc).slice(0, 10);
  return delta > 0 ? `in ${amount}` : `${amount} ago`;
}

/** 812 ms, 4.2 s, 3 min 4 s, 2 h 3 min, 3 d 4 h. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ""}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
  const days = Math.floor(hours / 24);
  return `${days} d${hours % 24 ? ` ${hours % 24} h` : ""}`;
}
