/**
 * The recipes of examples/ as a person uses them: run from where they are,
 * or copied with the few values a person edits (an address, a topic, a
 * schedule) changed, each of which must be in the recipe as written.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { REPO_ROOT } from "./cli.js";
import { tempDir } from "./tmp.js";

export function recipePath(name: string): string {
  return join(REPO_ROOT, "examples", name);
}

/** A copy of examples/`name` in a fresh folder, each `edits` key replaced by its value; its path. */
export function editedRecipe(t: TestContext, name: string, edits: Record<string, string>): string {
  let text = readFileSync(recipePath(name), "utf8");
  for (const [from, to] of Object.entries(edits)) {
    assert.ok(text.includes(from), `examples/${name} still has ${JSON.stringify(from)} for a person to edit`);
    text = text.replaceAll(from, to);
  }
  const path = join(tempDir(t, "spire-recipe-"), name);
  writeFileSync(path, text);
  return path;
}
