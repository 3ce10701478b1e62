/**
 * "Quote the whole value", shown on the fixed line. A plain YAML value stops
 * being one string when it holds `: ` (a mapping), starts with `*` (an
 * alias), `@` or a backtick (reserved), `[` or `{` (a list or mapping), `|`
 * or `>` (a block), or when a quoted part is followed by more text: shell
 * commands do all of these. The cure is always the same.
 */
import type { DefinitionError } from "./errors.js";

export interface QuotedLine {
  /** The line as it should be written (without its indentation). */
  fixed: string;
  /** The line in the source: its offsets, and the whole line as it should be (with its indentation). */
  start: number;
  end: number;
  replacement: string;
  /** Where the key of the value starts, when the line has one (`run:`). */
  keyOffset?: number;
}

export interface QuoteOptions {
  /**
   * A value that is a whole list or mapping (`run: {x}`) was maybe meant as
   * one; only when a string is known to be wanted is quoting it the fix.
   * `offset` may then be anywhere on the line (such errors are placed on the key).
   */
  wholeCollection?: boolean;
}

/** The key (if any) and the value of a block line: `  - run: echo a: b`. The key ends at the first `: `. */
const LINE = /^(\s*(?:-\s+)*)(?:((?:"[^"]*"|'[^']*'|[^\s"'#:][^:#]*?)):[ \t]+)?(\S.*?)\s*$/d;

/** The line holding `offset`, with its value quoted, when the value as written is the trouble there. */
export function quotedLine(source: string, offset: number, options: QuoteOptions = {}): QuotedLine | undefined {
  const start = source.lastIndexOf("\n", offset - 1) + 1;
  const end = lineEnd(source, start);
  const match = LINE.exec(source.slice(start, end));
  if (match === null) return undefined;
  const [, lead = "", key, value = ""] = match;
  // Where the regex found the value: searching for its text could find it earlier (`run: : :`).
  const valueStart = start + match.indices![3]![0];
  if ((offset < valueStart && !options.wholeCollection) || continuesBelow(source, end, lead.length)) return undefined;
  if (isQuoted(value)) return undefined;
  if (/^[[{]/.test(value)) {
    // Unclosed, it is a list or mapping gone wrong, not a string; closed at the end, one meant as such.
    const close = closingBracket(value);
    if (close < 0 || (close === value.length - 1 && !options.wholeCollection)) return undefined;
  }
  const replacement = `${source.slice(start, valueStart)}${quote(value)}`;
  return { fixed: replacement.trimStart(), start, end, replacement, ...(key === undefined ? {} : { keyOffset: start + lead.length }) };
}

/** A string was wanted and a one-line `{…}` or `[…]` given (`run: {x}`): the error gets the quoting hint. */
export function withCollectionQuoteHint(error: DefinitionError, source: string): DefinitionError {
  if (error.hint !== undefined || error.line < 1 || !/^expected a string, got (a mapping|a list)$/.test(error.message)) return error;
  // `run: [python3, script.py]`: a program and its arguments, which is what exec takes (quoting the list would run
  // nonsense). One item, `run: [ -f x ]`, is a shell test: quoting is the fix there.
  if (error.message.endsWith("a list") && /(^|\.)run$/.test(error.keyPath)) {
    const start = offsetOf(source, error.line, 1);
    const list = /\brun:\s*(\[[^\]]*\])/.exec(source.slice(start, lineEnd(source, start)))?.[1];
    if (list === undefined || list.includes(",")) {
      return { ...error, hint: `a program and its arguments, run without a shell, go in exec (not run): ${list === undefined ? "exec: [PROGRAM, ARG, …]" : `exec: ${list}`}` };
    }
  }
  const line = quotedLine(source, offsetOf(source, error.line, error.column), { wholeCollection: true });
  return line === undefined ? error : { ...error, hint: quoteHint(line) };
}

/** The hint for a quoted line. */
export function quoteHint(line: QuotedLine): string {
  return `quote the whole value: ${line.fixed}`;
}

/** `"text"`, or `'text'` when the text holds `"` or `\` (single quotes escape nothing but `'` itself). */
export function quote(value: string): string {
  if (!/["\\]/.test(value)) return `"${value}"`;
  return `'${value.replaceAll("'", "''")}'`;
}

/** The offset of a 1-based line and column. */
export function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let at = 1; at < line; at++) {
    const next = source.indexOf("\n", offset);
    if (next < 0) return source.length;
    offset = next + 1;
  }
  return offset + column - 1;
}

function lineEnd(source: string, start: number): number {
  const end = source.indexOf("\n", start);
  const stop = end < 0 ? source.length : end;
  return source[stop - 1] === "\r" ? stop - 1 : stop;
}

/** A plain value may go on over more-indented lines; then the fix is not this line alone. */
function continuesBelow(source: string, end: number, indent: number): boolean {
  const next = /\n([ \t]*)(\S?)/.exec(source.slice(end, end + 200));
  return next !== null && next[2] !== "" && next[2] !== "#" && next[1]!.length > indent;
}

function isQuoted(value: string): boolean {
  return (value.startsWith('"') && value.endsWith('"') && value.length > 1) || (value.startsWith("'") && value.endsWith("'") && value.length > 1);
}

/** Where the bracket opening `value` closes (quotes ignored), or -1. */
function closingBracket(value: string): number {
  let depth = 0;
  for (let index = 0; index < value.length; index++) {
    const char = value[index];
    if (char === "[" || char === "{") depth++;
    else if (char === "]" || char === "}") depth--;
    if (depth === 0) return index;
  }
  return -1;
}
