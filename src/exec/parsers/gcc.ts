/**
 * gcc and clang diagnostics: `file:line:col: warning: text` (the column is
 * optional; `fatal error:` is an error), and a driver's own
 * `gcc: error: text`. Notes and the source excerpts under a diagnostic are
 * not counted.
 */
import type { ParsedLine, ToolParser } from "./tool-parser.js";

const DIAGNOSTIC = /^(?:[^\s:][^:]*:\d+:(?:\d+:)?|[\w.+-]+:) (warning|error|fatal error): \S/;

export class GccParser implements ToolParser {
  readonly summary = {};

  read(line: string): ParsedLine | undefined {
    const found = DIAGNOSTIC.exec(line);
    if (found === null) return undefined;
    return { level: found[1] === "warning" ? "warning" : "error", text: line };
  }
}
