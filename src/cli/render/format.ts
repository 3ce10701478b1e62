/** Small pieces of terminal output shared by the renderers. */
import pc from "picocolors";
import type { TaskState } from "../../plan/types.js";
import type { RunState } from "../../store/port.js";
import { formatDurationMs } from "../../spec/units.js";

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

export function timestamp(ms: number): string {
  return new Date(ms).toISOString();
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
