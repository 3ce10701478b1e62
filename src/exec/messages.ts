/**
 * The texts of an attempt's warnings and errors (`::warning::TEXT`,
 * `::error::TEXT`, and lines counted by warn_pattern / error_pattern), kept
 * with its report so that a person sees what was warned about without
 * reading the log. Pure: the capture feeds it lines already masked.
 *
 * Bounded: the first 100 of each level, each cut to 1,000 characters. The
 * counts go on counting; the log keeps every line whole.
 */
import type { LogStream, TaskMessage } from "./port.js";

export const MESSAGES_KEPT_PER_LEVEL = 100;
export const MESSAGE_MAX_CHARS = 1_000;
/** Ends a text that was cut. */
const CUT = "…";

export class MessageLog {
  readonly #messages: TaskMessage[] = [];
  readonly #kept = { warning: 0, error: 0 };

  add(level: TaskMessage["level"], text: string, ts: number, stream: LogStream): void {
    if (this.#kept[level] >= MESSAGES_KEPT_PER_LEVEL) return;
    this.#kept[level]++;
    this.#messages.push({ level, text: cutText(text), ts, stream });
  }

  /** In the order they were printed. */
  get messages(): TaskMessage[] {
    return this.#messages;
  }
}

/** At most MESSAGE_MAX_CHARS characters, never half of a surrogate pair, ending with "…" when cut. */
export function cutText(text: string): string {
  if (text.length <= MESSAGE_MAX_CHARS) return text;
  let end = MESSAGE_MAX_CHARS - CUT.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + CUT;
}
