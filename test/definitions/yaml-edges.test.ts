/**
 * YAML's corners, said plainly: a !!binary value is not "a mapping", a
 * merge of no mapping names `<<`, a binary file is not dumped on the
 * terminal, and top-level x- keys hold anchors, as in docker-compose.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDefinitionErrors, parseDefinitions } from "../../src/definitions/load.js";

function errorsOf(text: string): string {
  const result = parseDefinitions(text, "spire.yaml");
  assert.equal(result.ok, false, "expected errors");
  return result.ok ? "" : formatDefinitionErrors(result.errors);
}

test("a !!binary value where a mapping goes is called binary data", () => {
  assert.equal(errorsOf("pipelines: !!binary abc\n"), "spire.yaml:1:21  pipelines: expected a mapping of pipeline names to pipelines, got binary data (a !!binary value)");
});

test("a merge of an alias that names no mapping: the key is <<, and the message says what a merge takes", () => {
  const errors = errorsOf("pipelines:\n  a:\n    tasks:\n      t: {run: echo, <<: *nope}\n");
  assert.match(errors, /^spire\.yaml:4:26 {2}pipelines\.a\.tasks\.t\["<<"\]: `<<:` merges a mapping into this one: it takes an alias of an anchored mapping/);
  assert.doesNotMatch(errors, /Symbol/);
});

test("a file with NUL bytes is not a text file, and none of its bytes are shown", () => {
  const errors = errorsOf("\u007fELF\u0002\u0001\u0001\u0000\u0000pipelines: {}\n");
  assert.equal(errors, "spire.yaml  this is not a text file (it holds NUL bytes): a definitions file is YAML or JSON text — give the definitions file (spire.yaml) with -f");
});

test("top-level x- keys are ignored: anchors there are reused by pipelines; other unknown keys are still errors", () => {
  const result = parseDefinitions("x-defaults: &d\n  timeout: 5m\n  retries: 2\npipelines:\n  a:\n    tasks:\n      t:\n        <<: *d\n        run: echo hi\n", "spire.yaml");
  assert.ok(result.ok, result.ok ? "" : formatDefinitionErrors(result.errors));
  const task = result.file.pipelines["a"]!.tasks["t"]!;
  assert.equal(task.timeout, 300_000);
  assert.equal(task.retries?.max, 2);
  assert.match(errorsOf("y-defaults: 1\npipelines: {}\n"), /unknown key `y-defaults`/);
});
