/**
 * A small definitions file must not be able to make Spire spend unbounded
 * memory or time (issue 12): repeats and matrices are counted before they
 * are expanded, groups nest to a bounded depth, pipelines, triggers and
 * retries are bounded, aliases cannot multiply, and a big mapping is read in
 * linear time. Each is refused at its place, with what to do.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDefinitions, type DefinitionError } from "../../src/definitions/load.js";
import { spire } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { BOMBS, CUBE_MATRIX, DEEP_GROUPS, NESTED_REPEAT, nestedGroups, type Bomb } from "./bombs.js";

function refused(text: string, maxTasks?: number): DefinitionError[] {
  const result = parseDefinitions(text, "spire.yaml", maxTasks === undefined ? {} : { maxTasks });
  assert.equal(result.ok, false, "expected the file to be refused");
  return result.ok ? [] : result.errors;
}

function assertRefusedAt(bomb: Bomb, errors: readonly Pick<DefinitionError, "line" | "column" | "keyPath" | "message">[]): void {
  const first = errors[0]!;
  assert.deepEqual({ line: first.line, column: first.column, keyPath: first.keyPath }, { line: bomb.line, column: bomb.column, keyPath: bomb.keyPath }, first.message);
  assert.match(first.message, bomb.message);
}

describe("definitions that ask for a lot are refused, quickly, where they ask", () => {
  for (const [name, bomb] of Object.entries(BOMBS)) {
    test(name, () => {
      const started = performance.now();
      assertRefusedAt(bomb, refused(bomb.text));
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 2_000, `refused in ${Math.round(elapsed)} ms`);
    });
  }

  test("the task count says what to do, and the cap is the engine's to choose (--max-tasks), never the file's", () => {
    const [error] = refused(NESTED_REPEAT.text);
    assert.match(error!.hint ?? "", /make fewer copies, or split the work over several runs .* started with --max-tasks N$/);
    // 1 + 150 × (1 + 1 + 100) = 15,301 nodes.
    const wide = 'pipelines:\n  p:\n    tasks:\n      a:\n        repeat: 150\n        group: { b: { repeat: 100, run: "true" } }\n';
    assert.match(refused(wide)[0]!.message, /expands to 15,301 tasks/);
    assert.equal(parseDefinitions(wide, "spire.yaml", { maxTasks: 20_000 }).ok, true);
    assert.match(refused('pipelines:\n  p:\n    tasks:\n      a: { repeat: 200, run: "true" }\n', 100)[0]!.message, /expands to 201 tasks .* limit of 100 per run/);
    // Many plain tasks, nothing multiplying: the count points at the pipeline's tasks.
    const plain = `pipelines:\n  p:\n    tasks:\n${Array.from({ length: 12 }, (_, index) => `      t${index}: { run: "true" }\n`).join("")}`;
    const [many] = refused(plain, 10);
    assert.equal(many!.keyPath, "pipelines.p.tasks");
    assert.match(many!.message, /expands to 12 tasks .* \(it has that many tasks itself\)$/);
  });

  test("groups 32 deep are fine; deeper than the parser's own stack is an error, not a crash", () => {
    assert.equal(parseDefinitions(nestedGroups(31), "spire.yaml").ok, true);
    for (const depth of [380, 2000]) {
      const errors = refused(nestedGroups(depth));
      assert.ok(errors.length >= 1 && errors.every((error) => error.line >= 1), `depth ${depth}: ${errors[0]?.message}`);
    }
  });

  test("retries, catchup_limit: numbers that multiply work over time are bounded; waits longer than a timer can time are refused", () => {
    const errors = refused('pipelines:\n  p:\n    catchup: all\n    catchup_limit: 100000000\n    tasks:\n      a: { run: "false", retries: 1000 }\n      b: { run: "true", timeout: 30d, kill_grace: 4w, retries: { max: 1, backoff: 25d } }\n');
    const timer = "must be at most 24d (24 days and 20 hours is the longest wait Spire can time)";
    assert.deepEqual(errors.map((error) => [error.keyPath, error.message]), [
      ["pipelines.p.catchup_limit", "must be at most 1000"],
      ["pipelines.p.tasks.a.retries", "must be at most 100"],
      ["pipelines.p.tasks.b.timeout", timer],
      ["pipelines.p.tasks.b.kill_grace", timer],
      ["pipelines.p.tasks.b.retries.backoff", timer],
    ]);
    assert.equal(parseDefinitions('pipelines:\n  p:\n    catchup_limit: 1000\n    tasks:\n      a: { run: "false", retries: 100, timeout: 24d }\n', "spire.yaml").ok, true);
  });

  test("a mapping of 20,000 keys is read in linear time, and a duplicate among them is still found", () => {
    // Comparing each key with every earlier one took 15 s here; a set per mapping takes well under a second.
    const keys = Array.from({ length: 20_000 }, (_, index) => `      k${index}: ${index}\n`).join("");
    const text = `pipelines:\n  p:\n    tasks: { a: { run: "true" } }\n    metadata:\n${keys}      k7: again\n`;
    // CPU time, not wall time: on a loaded machine the wall clock measures the other processes too.
    const started = process.cpuUsage();
    const errors = refused(text);
    const { user, system } = process.cpuUsage(started);
    const cpuMs = (user + system) / 1000;
    assert.deepEqual(errors.map((error) => [error.line, error.column, error.keyPath, error.message]), [[20_005, 7, "pipelines.p.metadata.k7", "duplicate key `k7`"]]);
    assert.ok(cpuMs < 5_000, `read in ${Math.round(cpuMs)} ms of CPU`);
  });
});

describe("spire validate", () => {
  test("refuses each bomb with its place, in little memory and within seconds", async (t) => {
    const dir = tempDir(t);
    for (const bomb of [NESTED_REPEAT, CUBE_MATRIX, DEEP_GROUPS]) {
      const file = join(dir, "spire.yaml");
      writeFileSync(file, bomb.text);
      const started = performance.now();
      // A heap this small dies at once if the file is expanded rather than counted.
      const result = await spire(["validate", "-f", file], { data: dir, env: { NODE_OPTIONS: "--max-old-space-size=96" } });
      const elapsed = performance.now() - started;
      assert.equal(result.code, 2, result.stderr);
      assert.ok(result.stderr.includes(`${file}:${bomb.line}:${bomb.column}  ${bomb.keyPath}: `), result.stderr);
      assert.doesNotMatch(result.stderr, /internal error|at .*\.js:\d+/);
      // A bomb expanded would not end within minutes; 10 s leaves a loaded machine room (quiet: ~0.5 s).
      assert.ok(elapsed < 10_000, `answered in ${Math.round(elapsed)} ms`);
    }
    const wide = join(dir, "wide.yaml");
    writeFileSync(wide, 'pipelines:\n  p:\n    tasks:\n      a: { repeat: 150, group: { b: { repeat: 100, run: "true" } } }\n');
    assert.equal((await spire(["validate", "-f", wide], { data: dir })).code, 2);
    const allowed = await spire(["validate", "-f", wide, "--max-tasks", "20000"], { data: dir });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /15000 tasks/);
    const bad = await spire(["validate", "-f", wide, "--max-tasks", "lots"], { data: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-tasks must be a whole number ≥ 1, got "lots"/);
  });
});
