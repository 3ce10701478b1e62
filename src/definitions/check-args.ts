/**
 * Run arguments and regular expressions: a default must fit the argument's
 * type, enum and pattern; patterns must compile; an argument is either
 * required or has a default.
 */
import type { CheckContext } from "./check-context.js";
import type { PathSegment } from "./errors.js";
import { entriesOf, rawPipelines, rawTasks } from "./raw-walk.js";
import { isRecord, received } from "./zod-issues.js";
import { linearTimeProblem } from "./output-patterns.js";

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
};

export function checkArgsAndPatterns(root: unknown, context: CheckContext): void {
  for (const pipeline of rawPipelines(root)) {
    for (const [name, arg] of entriesOf(pipeline.pipeline["args"])) {
      if (isRecord(arg)) checkArg(context, [...pipeline.path, "args", name], arg);
    }
    for (const task of rawTasks(pipeline)) {
      for (const field of ["warn_pattern", "error_pattern"]) {
        if (Object.hasOwn(task.task, field)) checkOutputPattern(context, [...task.path, field], task.task[field], "every line the task prints");
      }
      const expect = isRecord(task.task["http"]) ? task.task["http"]["expect"] : undefined;
      if (isRecord(expect) && Object.hasOwn(expect, "body")) checkOutputPattern(context, [...task.path, "http", "expect", "body"], expect["body"], "the response's body");
    }
  }
}

/** The compiled pattern, or undefined after reporting why it does not compile. */
function checkRegex(context: CheckContext, path: PathSegment[], pattern: unknown): RegExp | undefined {
  if (typeof pattern !== "string") return undefined;
  try {
    return new RegExp(pattern);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: /, "") : String(error);
    context.report(path, `not a valid regular expression: ${reason}`, {
      expected: "a JavaScript regular expression",
      hint: "escape special characters such as ( [ { * + ? with a backslash",
    });
    return undefined;
  }
}

/** A pattern matched against what a task prints or fetches must also run in linear time (output-patterns.ts). */
function checkOutputPattern(context: CheckContext, path: PathSegment[], pattern: unknown, against: string): void {
  if (checkRegex(context, path, pattern) === undefined) return;
  const problem = linearTimeProblem(pattern as string);
  if (problem === undefined) return;
  context.report(path, `this pattern is matched against ${against}, and ${problem}`, {
    hint: "write it without them: text made to fit such a pattern can hold Spire for minutes",
  });
}

function checkArg(context: CheckContext, path: PathSegment[], arg: Record<string, unknown>): void {
  const type = typeof arg["type"] === "string" ? arg["type"] : "string";
  const pattern = Object.hasOwn(arg, "pattern") ? checkRegex(context, [...path, "pattern"], arg["pattern"]) : undefined;
  if (Array.isArray(arg["enum"])) {
    arg["enum"].forEach((value, index) => {
      if (!fitsType(value, type)) context.report([...path, "enum", index], `${received(value)} is not of the argument's type ${type}`, { expected: TYPE_WORDS[type] });
    });
  }
  if (!Object.hasOwn(arg, "default")) return;
  const value = arg["default"];
  const at = [...path, "default"];
  if (arg["required"] === true) {
    context.report(at, "an argument is either required or has a default, not both", {
      hint: "remove `required: true` (the default is used when the argument is not given), or remove the default",
    });
  }
  if (!fitsType(value, type)) {
    context.report(at, `the default, ${received(value)}, does not fit the argument's type ${type}`, { expected: TYPE_WORDS[type] });
    return;
  }
  if (Array.isArray(arg["enum"]) && !arg["enum"].includes(value)) {
    context.report(at, `the default, ${received(value)}, is not one of the argument's enum values`, {
      expected: `one of: ${arg["enum"].map(String).join(", ")}`,
    });
  }
  if (pattern !== undefined && typeof value === "string" && !pattern.test(value)) {
    context.report(at, `the default, ${received(value)}, does not match the argument's pattern`, { expected: `text matching ${String(arg["pattern"])}` });
  }
}

function fitsType(value: unknown, type: string): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    default:
      return true; // an unknown type is reported by the schema
  }
}
