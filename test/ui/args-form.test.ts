/**
 * The run form's own check of a value against its argument's pattern
 * (ui/src/pages/pipelines/args-form.ts): said at the field before anything
 * is sent, except for a pattern that could backtrack exponentially on a
 * value typed for it, which the browser could not stop: that one is left to
 * the engine, which checks it within its time limit.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { loadUiModule } from "../helpers/ui-module.js";

interface ArgsFormModule {
  checkValues(fields: { name: string; def: { pattern?: string } }[], values: Record<string, string>): Record<string, string>;
}

let form: ArgsFormModule;

before(async () => {
  form = await loadUiModule<ArgsFormModule>("pages/pipelines/args-form.ts");
});

const check = (pattern: string, value: string) => form.checkValues([{ name: "x", def: { pattern } }], { x: value }).x;

test("a value against an ordinary pattern is said at its field", () => {
  assert.equal(check("^[a-z]+$", "Web 1"), "Must match /^[a-z]+$/.");
  assert.equal(check("^[a-z]+$", "web"), undefined);
  assert.equal(check("^(prod|staging)$", "dev"), "Must match /^(prod|staging)$/.");
});

test("a pattern that could backtrack exponentially is left to the engine, and typing a value made for it does not hang the page", () => {
  // /^(a+)+$/ on 24 a's and a ! takes 2^24 steps (on 40, days); none of these is tried.
  const typed = `${"a".repeat(24)}!`;
  for (const pattern of ["^(a+)+$", "^(a|aa)*$", "^(\\w{2,}){5}$", "^(a)\\1$", "^(?=a)a+$", "^(?!b)a+$"]) {
    const since = performance.now();
    assert.equal(check(pattern, typed), undefined, pattern);
    assert.ok(performance.now() - since < 50, `${pattern} took ${performance.now() - since} ms`);
  }
});
