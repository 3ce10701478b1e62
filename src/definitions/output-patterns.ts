/**
 * Patterns matched against what a task prints or fetches (warn_pattern and
 * error_pattern, every line of its output; an http task's expect.body, up to
 * 1 MiB of its response). A pattern with nested repetition (`^(a+)+$`)
 * backtracks exponentially on a line made for it, and a regular expression
 * cannot be interrupted from JavaScript: one line held the thread that
 * captures every task's output (or the engine's, for http) for good.
 *
 * So V8 is told to go over to its linear-time engine once a match has
 * backtracked too long, and such patterns are compiled as usual otherwise
 * (that engine is ~30× slower on a plain line). It runs no backreference
 * (`\1`) and no lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`): a pattern that
 * uses them is refused when the file is checked. The flags are V8's own (Node's documentation
 * warns that flags set after start are not guaranteed): tests hold them to
 * it (test/exec/output-patterns.test.ts).
 */
import { setFlagsFromString } from "node:v8";

let flagged = false;

function flagOnce(): void {
  if (flagged) return;
  flagged = true;
  // The first lets a pattern be compiled for the linear engine alone (the check below); the second goes over to that
  // engine from an ordinary one once it has backtracked too long.
  setFlagsFromString("--enable-experimental-regexp-engine");
  setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
}

/** A group that repeats something, itself repeated (`(a+)+`, `(\w{2,}){20}`): what backtracks exponentially (roughly: groups inside it are not looked into). */
const NESTED_REPETITION = /\([^()]*(?:[+*?]|\{\d+(?:,\d*)?\})[^()]*\)(?:[+*?]|\{\d+(?:,\d*)?\})/;

/**
 * Why `pattern` (a valid regular expression) cannot be matched in a time the
 * text bounds, or undefined when it can. V8's linear engine also refuses a
 * counted repetition above 16 (`[0-9a-f]{40}`): alone that is harmless, and
 * such a pattern is matched the ordinary way (without the fallback), unless
 * it repeats a repetition.
 */
export function linearTimeProblem(pattern: string): string | undefined {
  flagOnce();
  try {
    new RegExp(pattern, "l");
    return undefined;
  } catch {
    const uses = [
      ...(/\\[1-9]|\\k</.test(pattern) ? ["a backreference (\\1)"] : []),
      ...(/\(\?<?[=!]/.test(pattern) ? ["a lookaround ((?=, (?!, (?<=, (?<!)"] : []),
    ];
    if (uses.length > 0) return `it uses ${uses.join(" and ")}, which cannot be matched in linear time`;
    if (NESTED_REPETITION.test(pattern)) return "it repeats a repetition with a count above 16 (as (a+){20}), which cannot be matched in linear time";
    return undefined;
  }
}

/** The pattern, compiled to go over to the linear engine on a line that makes it backtrack; throws as RegExp does, or when linearTimeProblem has one. */
export function outputPattern(pattern: string): RegExp {
  flagOnce(); // before the pattern is made: V8 decides then how it may be run
  const compiled = new RegExp(pattern);
  const problem = linearTimeProblem(pattern);
  if (problem !== undefined) throw new SyntaxError(problem);
  return compiled;
}
