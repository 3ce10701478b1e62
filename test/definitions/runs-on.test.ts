/**
 * runs_on: the labels a worker must all have. Written as a list or as one
 * label; the model always holds a list. Mistakes are reported at the label
 * (or the key) with what a label may be and what to do.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatDefinitionErrors, parseDefinitions } from "../../src/definitions/load.js";
import type { SpireFile } from "../../src/definitions/schema.js";

function parseOk(text: string): SpireFile {
  const result = parseDefinitions(text, "spire.yaml");
  if (!result.ok) assert.fail(formatDefinitionErrors(result.errors));
  return result.file;
}

function parseErrors(text: string): string[] {
  const result = parseDefinitions(text, "spire.yaml");
  assert.equal(result.ok, false, "expected errors");
  return result.ok ? [] : formatDefinitionErrors(result.errors).split("\n");
}

/** A file with one task `t` whose last line is `line` (indented as a key of t). */
function oneTask(line: string): string {
  return `pipelines:\n  p:\n    tasks:\n      t:\n        run: "true"\n        ${line}\n`;
}

describe("runs_on in definitions", () => {
  test("a list of labels, one label alone, and whole numbers all become lists of strings", () => {
    const file = parseOk(`pipelines:
  p:
    runs_on: linux
    tasks:
      train: { run: ./train.sh, runs_on: [gpu, linux, cuda-12.4, .hidden_ok] }
      build: { exec: [make], runs_on: [rtx, 3090] }
      plain: { run: "true" }
      checks:
        runs_on: [edge]
        group:
          ping: { http: { url: "http://127.0.0.1:9000/health" }, runs_on: lan }
      shards: { repeat: 2, run: "true", runs_on: [batch] }
`);
    const pipeline = file.pipelines["p"]!;
    assert.deepEqual(pipeline.runs_on, ["linux"]);
    assert.deepEqual(pipeline.tasks["train"]!.runs_on, ["gpu", "linux", "cuda-12.4", ".hidden_ok"]);
    assert.deepEqual(pipeline.tasks["build"]!.runs_on, ["rtx", "3090"], "YAML's number 3090 is the label 3090");
    assert.equal(pipeline.tasks["plain"]!.runs_on, undefined, "nothing is filled in: inheritance is the plan's");
    assert.deepEqual(pipeline.tasks["checks"]!.runs_on, ["edge"]);
    assert.deepEqual(pipeline.tasks["checks"]!.group!["ping"]!.runs_on, ["lan"], "an http task may run elsewhere");
    assert.deepEqual(pipeline.tasks["shards"]!.runs_on, ["batch"]);
  });

  test("a label of 64 characters is taken, one of 65 is refused at its place in the list", () => {
    parseOk(oneTask(`runs_on: [${"a".repeat(64)}]`));
    assert.deepEqual(parseErrors(oneTask(`runs_on: [gpu, ${"b".repeat(65)}]`)), [
      `spire.yaml:6:24  pipelines.p.tasks.t.runs_on[1]: invalid value "${"b".repeat(37)}..." (expected a worker label: 1 to 64 letters, digits, '.', '_' and '-', not starting with '-')`,
    ]);
  });

  test("a bad label is reported at the label, with what a label may be", () => {
    assert.deepEqual(parseErrors(oneTask("runs_on: [gpu, 'big box']")), [
      `spire.yaml:6:24  pipelines.p.tasks.t.runs_on[1]: invalid value "big box" (expected a worker label: 1 to 64 letters, digits, '.', '_' and '-', not starting with '-')`,
    ]);
    assert.deepEqual(parseErrors(oneTask("runs_on: -gpu")), [
      `spire.yaml:6:18  pipelines.p.tasks.t.runs_on: invalid value "-gpu" (expected a worker label: 1 to 64 letters, digits, '.', '_' and '-', not starting with '-')`,
    ]);
    assert.deepEqual(parseErrors(oneTask("runs_on: [gpu, a/b, '']")), [
      `spire.yaml:6:24  pipelines.p.tasks.t.runs_on[1]: invalid value "a/b" (expected a worker label: 1 to 64 letters, digits, '.', '_' and '-', not starting with '-')`,
      `spire.yaml:6:29  pipelines.p.tasks.t.runs_on[2]: invalid value "" (expected a worker label: 1 to 64 letters, digits, '.', '_' and '-', not starting with '-')`,
    ]);
  });

  test("an empty list is refused: leaving the key out is how a task runs on the engine's machine", () => {
    assert.deepEqual(parseErrors(oneTask("runs_on: []")), [
      "spire.yaml:6:9  pipelines.p.tasks.t.runs_on: runs_on needs at least one label; remove the key to run on the engine's machine (under a group's or the pipeline's runs_on, write runs_on: local)",
    ]);
    const onPipeline = parseErrors("pipelines:\n  p:\n    runs_on: []\n    tasks:\n      t: { run: \"true\" }\n");
    assert.deepEqual(onPipeline, ["spire.yaml:3:5  pipelines.p.runs_on: runs_on needs at least one label; remove the key to run on the engine's machine (under a group's or the pipeline's runs_on, write runs_on: local)"]);
  });

  test("a label listed twice is refused at the second one", () => {
    assert.deepEqual(parseErrors(oneTask("runs_on: [gpu, linux, gpu]")), [
      `spire.yaml:6:31  pipelines.p.tasks.t.runs_on[2]: "gpu" is already in the list; a worker has a label or not, so list each label once`,
    ]);
  });

  test("templates, numbers that are not whole, and other types say what to write instead", () => {
    assert.deepEqual(parseErrors(oneTask(`runs_on: "\${{ matrix.os }}"`)), [
      "spire.yaml:6:18  pipelines.p.tasks.t.runs_on: runs_on holds labels as written, not templates; for copies that need different machines, write one task per machine",
    ]);
    assert.deepEqual(parseErrors(oneTask("runs_on: [cuda, 12.10]")), [
      "spire.yaml:6:25  pipelines.p.tasks.t.runs_on[1]: YAML reads this label as the number 12.1; write it in quotes, as it should read",
    ]);
    assert.deepEqual(parseErrors(oneTask("runs_on: [true]")), ["spire.yaml:6:19  pipelines.p.tasks.t.runs_on[0]: expected a worker label, got true"]);
    assert.deepEqual(parseErrors(oneTask("runs_on: { gpu: 1 }")), [
      "spire.yaml:6:9  pipelines.p.tasks.t.runs_on: expected a worker label, or a list of labels, got a mapping",
    ]);
  });

  test("a misspelt key gets a did-you-mean", () => {
    assert.deepEqual(parseErrors(oneTask("run_on: gpu")), ["spire.yaml:6:9  pipelines.p.tasks.t.run_on: unknown key `run_on` — did you mean `runs_on`?"]);
  });
});
