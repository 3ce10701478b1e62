/**
 * The run form's own check of a value against its argument's pattern
 * (ui/src/pages/pipelines/args-form.ts): said at the field before anything
 * is sent, except for a pattern that could backtrack exponentially on a
 * value typed for it, which the browser could not stop: that one is left to
 * the engine, which checks it within its time limit. The UI's source is
 * compiled for the browser, so it is loaded through Vite's transform.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformWithOxc } from "vite";

// The module's shapes, written again: importing even its types would make this build emit the UI file into dist/ui.
interface ArgsFormModule {
  checkValues(fields: { name: string; def: { pattern?: string } }[], values: Record<string, string>): Record<string, string>;
}

const SOURCE = fileURLToPath(new URL("../../../ui/src/pages/pipelines/args-form.ts", import.meta.url));
let form: ArgsFormModule;

before(async () => {
  const { code } = await transformWithOxc(readFileSync(SOURCE, "utf8"), SOURCE, { lang: "ts" });
  const dir = mkdtempSync(join(tmpdir(), "spire-args-form-"));
  const file = join(dir, "args-form.mjs");
  writeFileSync(file, code);
  try {
    form = (await import(pathToFileURL(file).href)) as ArgsFormModule;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
