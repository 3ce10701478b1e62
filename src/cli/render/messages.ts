/**
 * The warning and error texts of one task, as `spire show` prints them under
 * the task's line (pure: a task object in, lines out).
 *
 *     ⚠ disk almost full
 *     ✗ could not reach the mirror
 *     … 12 more in spire show RUN --json
 *     50 more warnings not kept: only the first 100 of each kind are (the log has them all)
 */
import pc from "picocolors";
import type { MessageObject, TaskObject } from "../../engine/reads/run-object.js";
import { MESSAGES_KEPT_PER_LEVEL } from "../../exec/messages.js";

export interface MessageLinesOptions {
  /** Put before each line (the task's own indentation and more). */
  indent?: string;
  /** Texts shown at the most; the others are counted in one line. */
  limit?: number;
  /** The run's id, for the hint that shows them all. */
  runId?: string;
}

const MARK: Record<MessageObject["level"], string> = { warning: pc.yellow("⚠"), error: pc.red("✗") };
const NOUN: Record<MessageObject["level"], [string, string]> = { warning: ["warning", "warnings"], error: ["error", "errors"] };

export function messageLines(task: Pick<TaskObject, "messages" | "warnings" | "errors">, options: MessageLinesOptions = {}): string[] {
  const { indent = "    ", limit = 10, runId = "RUN" } = options;
  const lines = task.messages.slice(0, limit).map((message) => `${indent}${MARK[message.level]} ${oneLine(message.text)}`);
  const hidden = task.messages.length - Math.min(limit, task.messages.length);
  if (hidden > 0) lines.push(pc.dim(`${indent}… ${hidden} more in spire show ${runId} --json`));
  const kept = { warning: 0, error: 0 };
  for (const message of task.messages) kept[message.level]++;
  const more = (["warning", "error"] as const)
    .map((level) => ({ level, count: (level === "warning" ? task.warnings : task.errors) - kept[level], full: kept[level] >= MESSAGES_KEPT_PER_LEVEL }))
    .filter(({ count }) => count > 0);
  if (more.length === 0) return lines;
  const words = more.map(({ level, count }) => `${count} more ${NOUN[level][count === 1 ? 0 : 1]}`).join(" and ");
  // Below the limit, a count beyond the texts comes from a tool's own totals (parser:), which name no line for each.
  const why = more.some(({ full }) => full) ? "not kept: only the first 100 of each kind are" : "counted without a text of their own, from a tool's totals";
  lines.push(pc.dim(`${indent}${words} ${why} (the log has them all)`));
  return lines;
}

/** A text on one line of the terminal: control characters (a carriage return, an escape sequence's start) shown as symbols, not obeyed. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, (char) => String.fromCharCode(char === "\u007f" ? 0x2421 : 0x2400 + char.charCodeAt(0)));
}
