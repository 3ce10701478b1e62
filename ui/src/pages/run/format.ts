/** Numbers and times as the run page writes them. */
import { digits } from "../../logs/digits";
import { formatAbsolute } from "../../time/format";

/** 3.4 MiB, 812 B. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** An exact time with milliseconds: `2026-12-05 14:03:07.120 +01:00` (or `…07.120Z`). */
export function exactTime(time: number | string, utc: boolean): string {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return String(time);
  const base = formatAbsolute(date, utc);
  const millis = `.${String(date.getMilliseconds()).padStart(3, "0")}`;
  // After the seconds: before the offset (local) or the Z (UTC).
  return utc ? base.replace(/Z$/, `${millis}Z`) : base.replace(/^(\S+ \S+)/, `$1${millis}`);
}

/** A metric value: integers as they are, others with up to 3 significant decimals. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return digits(value);
  return value.toLocaleString("en-US", { maximumFractionDigits: Math.abs(value) < 1 ? 4 : 3 });
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${digits(count)} ${count === 1 ? one : many}`;
}
