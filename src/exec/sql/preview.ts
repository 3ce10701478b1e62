/**
 * How a statement's result is shown in the log (a small table of its first
 * rows, long values cut) and what the last one gives as outputs. Pure.
 */
import { OUTPUT_KEY_PATTERN } from "../markers.js";
import { MAX_OUTPUT_FILE_BYTES } from "../output-file.js";
import type { StatementResult } from "./connection.js";

export const PREVIEW_ROWS = 20;
const MAX_CELL_CHARS = 60;

/** A value as text: NULL as NULL in the table and empty in outputs, dates in ISO 8601, bytes in hex. */
export function cellText(value: unknown, nullAs = "NULL"): string {
  if (value === null || value === undefined) return nullAs;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  // A Buffer, or what a Buffer becomes on its way between threads.
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
  if (typeof value === "object") return JSON.stringify(value, (_key, each: unknown) => (typeof each === "bigint" ? each.toString() : each));
  return String(value);
}

function cut(text: string): string {
  const oneLine = text.replace(/\r?\n/g, "\\n");
  return oneLine.length > MAX_CELL_CHARS ? `${oneLine.slice(0, MAX_CELL_CHARS - 1)}…` : oneLine;
}

/** The result set as lines: a header, a rule, the first PREVIEW_ROWS rows (a markdown-like table), and how many rows there were. */
export function previewLines(result: StatementResult): string[] {
  const columns = result.columns ?? [];
  const rows = (result.rows ?? []).slice(0, PREVIEW_ROWS).map((row) => row.map((value) => cut(cellText(value))));
  const header = columns.map(cut);
  const widths = header.map((name, index) => Math.max(name.length, ...rows.map((row) => row[index]?.length ?? 0)));
  // Each line starts with "|": a value from the database never reads as a ::marker:: line.
  const line = (cells: string[]) => `| ${cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(" | ")} |`;
  const count = result.rowCount ?? rows.length;
  const more = count > rows.length ? `, the first ${rows.length} shown` : "";
  return [line(header), `|-${widths.map((width) => "-".repeat(width)).join("-+-")}-|`, ...rows.map(line), `(${count} ${count === 1 ? "row" : "rows"}${more})`];
}

/**
 * The outputs of the task: from the last statement, when it returned one
 * row — each column (whose name can be an output name) by its name, and
 * `value` when that row has one column.
 */
export function resultOutputs(result: StatementResult | undefined): { outputs: Record<string, string>; problems: string[] } {
  const found = { outputs: {} as Record<string, string>, problems: [] as string[] };
  if (result?.columns === undefined || result.rowCount !== 1) return found;
  const row = result.rows?.[0] ?? [];
  // All of them, as much as a task's SPIRE_OUTPUT file may hold: more goes nowhere whole (an environment, an event).
  let room = MAX_OUTPUT_FILE_BYTES;
  const keep = (name: string, value: unknown) => {
    // Bytes become twice as many hex digits: a large one is measured before it is made text.
    const bytes = value instanceof Uint8Array ? 2 + value.byteLength * 2 : undefined;
    const text = bytes === undefined || bytes <= room ? cellText(value, "") : undefined;
    const size = text === undefined ? bytes! : Buffer.byteLength(text);
    if (text !== undefined && size <= room) {
      found.outputs[name] = text;
      room -= size;
    } else found.problems.push(`output ${name} not kept: its value has ${size} bytes, and a task's outputs may have ${MAX_OUTPUT_FILE_BYTES} in all`);
  };
  result.columns.forEach((name, index) => {
    if (OUTPUT_KEY_PATTERN.test(name)) keep(name, row[index]);
  });
  if (result.columns.length === 1) keep("value", row[0]);
  return found;
}
