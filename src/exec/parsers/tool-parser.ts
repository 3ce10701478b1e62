/**
 * A task's `parser:` reads its output in a tool's own format: which lines
 * are warnings and errors (their text is kept, as for ::warning:: lines),
 * and the totals the tool prints itself, which win over the lines counted
 * (pytest lists only failures by name, and says how many warnings there
 * were in its last line). Fed each line once, masked; keeps no lines.
 */
import type { ParserName } from "./names.js";
import { EslintParser } from "./eslint.js";
import { GccParser } from "./gcc.js";
import { PytestParser } from "./pytest.js";
import { TapParser } from "./tap.js";

export interface ParsedLine {
  level: "warning" | "error";
  /** What is kept as the message's text. */
  text: string;
}

export interface ToolParser {
  /** The line's warning or error by the tool's format, if it is one; a summary line is taken note of. */
  read(line: string): ParsedLine | undefined;
  /** Totals the tool printed, when it did: they replace the count of lines for that level. */
  readonly summary: { warnings?: number; errors?: number };
}

export function toolParser(name: ParserName): ToolParser {
  switch (name) {
    case "gcc":
    case "clang":
      return new GccParser();
    case "pytest":
      return new PytestParser();
    case "eslint":
      return new EslintParser();
    case "tap":
      return new TapParser();
  }
}

/** Counts for one level: the tool's own total when it printed one, else the lines read as that level. */
export class ParserCounts {
  readonly #lines = { warning: 0, error: 0 };

  constructor(readonly parser: ToolParser) {}

  read(line: string, alreadyCounted: boolean): ParsedLine | undefined {
    const parsed = this.parser.read(line);
    if (parsed === undefined || alreadyCounted) return undefined;
    this.#lines[parsed.level]++;
    return parsed;
  }

  get warnings(): number {
    return this.parser.summary.warnings ?? this.#lines.warning;
  }

  get errors(): number {
    return this.parser.summary.errors ?? this.#lines.error;
  }
}
