/** Small pieces of terminal output shared by the renderers. */
import pc from "picocolors";
import type { TaskState } from "../../plan/types.js";
import type { RunState } from "../../store/port.js";
import { formatDurationMs } from "../../definitions/units.js";

export const ICONS: Record<TaskState | RunState, string> = {
  pending: "·",
  queued: "·",
  running: "▶",
  succeeded: "✓",
  failed: "✗",
  canceled: "⊘",
  skipped: "–",
  timed_out: "⏱",
  interrupted: "!",
};

export function paint(state: TaskState | RunState, text: string): string {
  switch (state) {
    case "succeeded":
      return pc.green(text);
    case "failed":
    case "timed_out":
    case "interrupted":
      return pc.red(text);
    case "running":
      return pc.cyan(text);
    case "canceled":
      return pc.yellow(text);
    default:
      return pc.dim(text);
  }
}

export function duration(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "" : formatDurationMs(ms);
}

export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.max(0, Math.min(1, done / total)) : 0;
  const filled = Math.round(ratio * width);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${Math.round(ratio * 100)}%`;
}

let utc = false;

/** `--utc`: human output gives times in UTC instead of this machine's zone. */
export function showTimesInUtc(on: boolean): void {
  utc = on;
}

export function timesInUtc(): boolean {
  return utc;
}

/**
 * A time as people read it, one way everywhere in human output: this
 * machine's zone with its offset (`2026-12-05 09:12:03+01:00`), or UTC with
 * --utc (`2026-12-05 08:12:03Z`); `milliseconds` for log lines. ISO 8601 or
 * epoch ms given. --json output keeps ISO 8601.
 */
export function clock(time: number | string, options: { milliseconds?: boolean } = {}): string {
  const ms = typeof time === "number" ? time : Date.parse(time);
  if (!Number.isFinite(ms)) return String(time);
  const offsetMinutes = utc ? 0 : zoneOffsetMinutes(ms);
  const shifted = new Date(ms + offsetMinutes * 60_000).toISOString();
  const text = `${shifted.slice(0, 10)} ${shifted.slice(11, options.milliseconds ? 23 : 19)}`;
  if (offsetMinutes === 0 && utc) return `${text}Z`;
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${text}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * This machine's zone offset at a time, kept for the minute it is in: a zone
 * changes its offset only at a whole minute, and asking the zone database is
 * the dearest part of a line of `spire run`'s output (one per task).
 */
let offsetMinute = NaN;
let offsetThen = 0;
function zoneOffsetMinutes(ms: number): number {
  const minute = Math.floor(ms / 60_000);
  if (minute !== offsetMinute) {
    offsetThen = -new Date(ms).getTimezoneOffset();
    offsetMinute = minute;
  }
  return offsetThen;
}

/** How long ago a time was, roughly: `now`, `3s ago`, `12m ago`, `5h ago`, `3d ago` (a time ahead of `now`, from a clock a bit off, is `now`). */
export function ago(time: string | number, now: number): string {
  const ms = now - (typeof time === "number" ? time : Date.parse(time));
  if (!Number.isFinite(ms)) return String(time);
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "now";
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** A log line's time: to the millisecond. */
export function timestamp(ms: number): string {
  return clock(ms, { milliseconds: true });
}

export function bytes(value: number | null): string {
  if (value === null) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size.toFixed(unit === 0 ? 0 : 1)}${units[unit]}`;
}
