/**
 * Every file under test/fixtures/invalid/ holds one class of mistake; the
 * full formatted errors must equal the `.expected` file beside it. Graph
 * fixtures (`graph-*`) depend on the planner's wording, which is the
 * planner's to choose: their messages are still compared in full.
 *
 * SPIRE_UPDATE_EXPECTED=1 rewrites the .expected files (review the diff!).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatDefinitionErrors, parseDefinitions } from "../../src/definitions/load.js";
import { FIXTURES } from "./fixtures.js";

const dir = join(FIXTURES, "invalid");
const files = readdirSync(dir).filter((name) => name.endsWith(".yaml")).sort();

test("there are at least 20 invalid fixtures, each with its expected errors", () => {
  assert.ok(files.length >= 20, `only ${files.length} fixtures`);
  for (const name of files) assert.ok(readdirSync(dir).includes(name.replace(/\.yaml$/, ".expected")), `${name} has no .expected file`);
});

for (const name of files) {
  test(`invalid/${name}`, () => {
    const result = parseDefinitions(readFileSync(join(dir, name), "utf8"), name);
    assert.equal(result.ok, false, `${name} was accepted`);
    if (result.ok) return;
    const actual = `${formatDefinitionErrors(result.errors)}\n`;
    const expectedPath = join(dir, name.replace(/\.yaml$/, ".expected"));
    if (process.env.SPIRE_UPDATE_EXPECTED) writeFileSync(expectedPath, actual);
    assert.equal(actual, readFileSync(expectedPath, "utf8"));
    for (const error of result.errors) {
      assert.ok(error.line >= 1 && error.column >= 1, `no position: ${JSON.stringify(error)}`);
      assert.doesNotMatch(error.message, /\n|\bat \w+ \(/, "messages are one line, with no stack trace");
    }
  });
}
