/** A plain aligned table for list commands (colours do not count towards widths). */
import pc from "picocolors";

const ANSI = /\x1b\[[0-9;]*m/g;
const width = (text: string) => text.replace(ANSI, "").length;

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(width(title), ...rows.map((row) => width(row[column] ?? ""))));
  const line = (cells: string[]) => cells.map((cell, column) => cell + " ".repeat(widths[column]! - width(cell))).join("  ").trimEnd();
  return [pc.dim(line(header)), ...rows.map(line)].join("\n") + "\n";
}
