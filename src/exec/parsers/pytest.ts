/**
 * pytest: `FAILED test_x.py::test_a - why` and `ERROR …` lines (the short
 * summary, on by default) are errors; the warnings summary's
 * `path:line: SomeWarning: text` lines are warnings; the last line,
 * `=== 2 failed, 3 passed, 1 warning in 0.12s ===` (also without the `=`
 * under -q), gives the totals: failed and errors are errors, warnings are
 * warnings.
 */
import type { ParsedLine, ToolParser } from "./tool-parser.js";

const FAILED = /^(FAILED|ERROR) \S/;
const WARNING = /^\s*\S+:\d+: \w*Warning: /;
const SUMMARY = /^=*\s*((?:\d+ [a-z]+)(?:, \d+ [a-z]+)*) in \d+(?:\.\d+)?s\b/;
const PART = /(\d+) ([a-z]+)/g;

export class PytestParser implements ToolParser {
  readonly summary: { warnings?: number; errors?: number } = {};

  read(line: string): ParsedLine | undefined {
    if (FAILED.test(line)) return { level: "error", text: line };
    if (WARNING.test(line)) return { level: "warning", text: line.trim() };
    const summary = SUMMARY.exec(line);
    if (summary !== null) this.#takeSummary(summary[1]!);
    return undefined;
  }

  #takeSummary(parts: string): void {
    let errors = 0;
    let warnings = 0;
    for (const [, count, word] of parts.matchAll(PART)) {
      if (word === "failed" || word === "error" || word === "errors") errors += Number(count);
      else if (word === "warning" || word === "warnings") warnings += Number(count);
    }
    // The last summary wins (a run with --lf, or pytest run twice by one task, prints several).
    this.summary.errors = errors;
    this.summary.warnings = warnings;
  }
}
