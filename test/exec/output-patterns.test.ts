/**
 * warn_pattern, error_pattern and an http task's expect.body are matched
 * against what a task prints or fetches: a pattern with nested repetition
 * must not let one line hold the capture (every task's) for good. V8 goes
 * over to its linear-time engine (flags set at run time: held to it here).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { linearTimeProblem, outputPattern } from "../../src/definitions/output-patterns.js";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { specFor } from "./fixtures.js";

checkNoLeftoverProcesses();

/** 2^40 ways to split it: hours of backtracking for an ordinary engine. */
const MADE_TO_FIT = `${"a".repeat(40)}b`;

test("a pattern with nested repetition meets a line made for it: answered at once, and right", () => {
  const pattern = outputPattern("^(a+)+$");
  const started = performance.now();
  assert.equal(pattern.test(MADE_TO_FIT), false);
  assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
  assert.equal(pattern.test("aaaa"), true);
  assert.equal(outputPattern("ERROR|FATAL").test("x FATAL y"), true);
});

test("what cannot be matched in linear time is named: a backreference, a lookaround, a repetition of a repetition above 16", () => {
  // A counted repetition above 16 alone (a commit id) is fine: V8's linear engine refuses it, the ordinary one runs it in linear time.
  for (const pattern of ["^WARN", "ERROR|FATAL", "\\bdeprecated\\b", "^(a+)+$", "(?<level>warn|error):", "[0-9a-f]{40}", "^.{81,}$"]) {
    assert.equal(linearTimeProblem(pattern), undefined, pattern);
  }
  for (const [pattern, named] of [["(\\w+) \\1", /a backreference/], ["ERROR(?!: ignored)", /a lookaround/], ["(?<=x)y", /a lookaround/], ["(a+){20}", /repeats a repetition/]] as const) {
    assert.match(linearTimeProblem(pattern) ?? "", named, pattern);
    assert.throws(() => outputPattern(pattern), /cannot be matched in linear time/);
  }
  assert.equal(outputPattern("[0-9a-f]{40}").test(`commit ${"ab12".repeat(10)}`), true);
});

test("a task printing a line made for its warn_pattern ends at once, counted right", async (t) => {
  const dir = tempDir(t);
  const executor = new LocalExecutor();
  t.after(() => executor.shutdown());
  const spec = specFor(dir, ["sh", "-c", `echo ${MADE_TO_FIT}; echo aaaa; echo ${MADE_TO_FIT}`], { warnPattern: "^(a+)+$", errorPattern: "^(a|aa)+b$", timeoutMs: 20_000 });
  const started = performance.now();
  const report = await executor.launch(spec).done;
  assert.equal(report.state, "succeeded");
  assert.equal(report.warnings, 1);
  assert.equal(report.errors, 2);
  assert.ok(performance.now() - started < 10_000, `${performance.now() - started} ms`);
});
