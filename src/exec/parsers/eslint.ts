/**
 * ESLint's default (stylish) output: a file's path on a line of its own,
 * then one indented line per problem, `  12:5  error  text  rule-id`, and at
 * the end `✖ 3 problems (2 errors, 1 warning)`, which gives the totals. A
 * problem's text is kept with its file: `src/a.js:12:5 error text rule-id`.
 */
import type { ParsedLine, ToolParser } from "./tool-parser.js";

const PROBLEM = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.*?)\s*$/;
const TOTALS = /^✖ \d+ problems? \((\d+) errors?, (\d+) warnings?\)/;
const FILE = /^\S/;

export class EslintParser implements ToolParser {
  readonly summary: { warnings?: number; errors?: number } = {};
  #file = "";

  read(line: string): ParsedLine | undefined {
    const problem = PROBLEM.exec(line);
    if (problem !== null) {
      const [, row, column, level, rest] = problem;
      const where = this.#file === "" ? `${row}:${column}` : `${this.#file}:${row}:${column}`;
      return { level: level === "error" ? "error" : "warning", text: `${where} ${level} ${rest!.replace(/\s{2,}/g, "  ")}` };
    }
    const totals = TOTALS.exec(line);
    if (totals !== null) {
      this.summary.errors = Number(totals[1]);
      this.summary.warnings = Number(totals[2]);
    } else if (FILE.test(line)) {
      this.#file = line.trim();
    }
    return undefined;
  }
}
