/**
 * TAP (Test Anything Protocol): a top-level `not ok N - description` is an
 * error, unless its directive is `# TODO` or `# SKIP`; `Bail out!` is an
 * error; a harness's `# fail N` comment gives the total. Indented lines are
 * subtests (TAP 14): their parent's `not ok` already counts them.
 */
import type { ParsedLine, ToolParser } from "./tool-parser.js";

const NOT_OK = /^not ok\b/;
const DIRECTIVE = /#\s*(TODO|SKIP)\b/i;
const BAIL_OUT = /^Bail out!/;
const FAIL_TOTAL = /^# fail (\d+)\s*$/;

export class TapParser implements ToolParser {
  readonly summary: { warnings?: number; errors?: number } = {};

  read(line: string): ParsedLine | undefined {
    if ((NOT_OK.test(line) && !DIRECTIVE.test(line)) || BAIL_OUT.test(line)) return { level: "error", text: line };
    const total = FAIL_TOTAL.exec(line);
    if (total !== null) this.summary.errors = Number(total[1]);
    return undefined;
  }
}
