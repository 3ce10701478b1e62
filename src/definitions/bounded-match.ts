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

/**
 * The vm's timeout counts time on the clock: on a busy machine a test can pass
 * its budget waiting for a core. A test that spent less than half its budget
 * on the CPU is tried again (a few times at most); a pattern that backtracks
 * spends the budget on the CPU whenever it runs.
 */
const TRIES_WHILE_WAITING = 5;

/** Whether `value` matches `pattern`, or "too slow" when the test ran past the budget. */
export function matchesWithin(pattern: string, value: string, budgetMs = MATCH_BUDGET_MS): boolean | "too slow" {
  context ??= createContext({ pattern: "", value: "" });
  context["pattern"] = pattern;
  context["value"] = value;
  for (let tries = 1; ; tries++) {
    const before = process.cpuUsage();
    try {
      return TEST.runInContext(context, { timeout: budgetMs }) === true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ERR_SCRIPT_EXECUTION_TIMEOUT") throw error;
      const spent = process.cpuUsage(before);
      const spentMs = (spent.user + spent.system) / 1000;
      if (spentMs >= budgetMs / 2 || tries === TRIES_WHILE_WAITING) return "too slow";
    }
  }
}
