/**
 * A run argument's `pattern` is tested against a value from outside (whoever
 * starts the run). A pattern with nested repetition (`^(a+)+$`) backtracks
 * exponentially on a crafted value, and a regular expression cannot be
 * interrupted from JavaScript: 30 characters would hold the engine for
 * minutes. So the test runs under node:vm's timeout, which V8 enforces inside
 * the regular expression engine too.
 */
import { createContext, Script, type Context } from "node:vm";

/** Far above what any sane pattern needs (microseconds), far below a stall. */
export const MATCH_BUDGET_MS = 100;

const TEST = new Script("new RegExp(pattern).test(value)");
let context: Context | undefined;

/** Whether `value` matches `pattern`, or "too slow" when the test ran past the budget. */
export function matchesWithin(pattern: string, value: string, budgetMs = MATCH_BUDGET_MS): boolean | "too slow" {
  context ??= createContext({ pattern: "", value: "" });
  context["pattern"] = pattern;
  context["value"] = value;
  try {
    return TEST.runInContext(context, { timeout: budgetMs }) === true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return "too slow";
    throw error;
  }
}
