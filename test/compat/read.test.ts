/**
 * prunner and Gator files are read into Spire's model: every real file of
 * both projects loads and plans (or, for prunner's own broken fixture, fails
 * as prunner fails), the format is told from the content, and every error
 * points at the line, column and key of the original file.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatDefinitionErrors, loadDefinitions, parseDefinitions, type LoadResult } from "../../src/definitions/load.js";
import { planPipeline } from "../../src/plan/plan.js";
import { expandVariables } from "../../src/definitions/compat/gator-expand.js";
import type { SpireFile } from "../../src/definitions/schema.js";
import { tempDir } from "../helpers/tmp.js";
import { FIXTURES } from "../definitions/fixtures.js";

const COMPAT = join(FIXTURES, "compat");
const compatFiles = ["prunner", "gator"].flatMap((tool) => readdirSync(join(COMPAT, tool)).map((name) => join(COMPAT, tool, name)));
/** prunner's own fixture for a dependency on a task that does not exist: it must fail, as it does in prunner. */
const BROKEN = "test_fixtures_missingDep.yml";

function ok(result: LoadResult): Extract<LoadResult, { ok: true }> {
  if (!result.ok) assert.fail(formatDefinitionErrors(result.errors));
  return result;
}

function errors(text: string, name: string): string {
  const result = parseDefinitions(text, name);
  assert.equal(result.ok, false, "expected errors");
  return result.ok ? "" : formatDefinitionErrors(result.errors);
}

function plannedPaths(file: SpireFile, pipeline: string): string[] {
  const planned = planPipeline(pipeline, file.pipelines[pipeline]!);
  if (!planned.ok) assert.fail(planned.errors.map((error) => error.message).join("\n"));
  return planned.plan.nodes.filter((node) => node.type === "task").map((node) => node.path);
}

describe("the real files of prunner and Gator", () => {
  test("there are ten, in both tools' formats", () => {
    assert.equal(compatFiles.length, 10);
  });

  for (const path of compatFiles.filter((file) => !file.endsWith(BROKEN))) {
    test(`${path.slice(COMPAT.length + 1)} loads, in its tool's format, and every pipeline plans`, async () => {
      const loaded = ok(await loadDefinitions(path));
      assert.equal(loaded.format, path.includes("/gator/") ? "gator" : "prunner");
      for (const name of Object.keys(loaded.file.pipelines)) assert.ok(plannedPaths(loaded.file, name).length > 0, `${name} has tasks`);
    });
  }

  test(`${BROKEN} fails as in prunner: the missing task is named at its line`, async () => {
    const result = await loadDefinitions(join(COMPAT, "prunner", BROKEN), { format: "prunner" });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(
      formatDefinitionErrors(result.errors),
      `${join(COMPAT, "prunner", BROKEN)}:5:22  pipelines.test_it.tasks.test.depends_on[0]: missing task "not_existing" referenced in depends_on of task "test" — the pipeline's tasks are: test`,
    );
  });

  test("prunner's example reads as prunner means it", async () => {
    const { file } = ok(await loadDefinitions(join(COMPAT, "prunner", "examples_pipelines.yml")));
    const release = file.pipelines["create_release"]!;
    assert.equal(release.fail_fast, true, "prunner fails fast unless told otherwise");
    assert.deepEqual(release.tasks["build"]!.needs, ["lint", "test", "do_something_long"]);
    assert.equal(release.tasks["build"]!.shell, "bash");
    assert.deepEqual(file.pipelines["queue_it"]!.queue, { limit: 3, strategy: "append" });
    assert.equal(file.pipelines["queue_it"]!.concurrency, 2);
    assert.deepEqual(file.pipelines["replace_it_with_delay"]!.queue, { limit: 1, strategy: "replace" });
    assert.equal(file.pipelines["replace_it_with_delay"]!.debounce, 15_000);
    assert.deepEqual(file.pipelines["give_me_variables"]!.args["name"], { type: "string", default: "", required: false, description: "a prunner job variable ({{ .name }})" });
    assert.equal(file.pipelines["give_me_variables"]!.tasks["hello"]!.run, 'echo "Hello ${SPIRE_ARG_NAME}"');
    const onError = file.pipelines["fail_it"]!.tasks["on_error"]!;
    assert.deepEqual(onError.on_fail, ["lint", "no-work"]);
    assert.match(onError.run!, /the error from \$\{SPIRE_FAILED_TASK\}"$/);
  });

  test("partitioned_replace keeps queue_partition_limit waiting places per partition", async () => {
    const { file } = ok(await loadDefinitions(join(COMPAT, "prunner", "test_fixtures_partitioned_waitlist.yml")));
    assert.deepEqual(file.pipelines["test_it"]!.queue, { limit: 10_000, strategy: "replace", partition_limit: 2 });
  });

  test("Gator's tree: env inherited and expanded, arrays as matrices, conditions as needs and on_fail", async () => {
    const { file } = ok(await loadDefinitions(join(COMPAT, "gator", "job_tree.yaml")));
    const tree = file.pipelines["tree"]!;
    assert.deepEqual(tree.metadata, { compat: "gator" });
    assert.deepEqual(tree.env, { TEST_A: "hello", TEST_B: "goodbye" });
    const inner = tree.tasks["inner"]!.group!;
    assert.deepEqual(inner["say_hi"]!.exec, ["echo", "hi", "hello_inner", "goodbye", "innermost"]);
    assert.deepEqual(inner["say_hi"]!.needs, ["delay_10"]);
    assert.deepEqual(tree.tasks["say_bye"]!.needs, ["inner"]);
    assert.deepEqual(tree.tasks["array"]!.on_fail, ["say_bye"]);
    assert.deepEqual(tree.tasks["array"]!.matrix, { GATOR_ARRAY_INDEX: [0, 1, 2, 3] });
    assert.equal(plannedPaths(file, "tree").filter((path) => path.startsWith("array[")).length, 4 + 4 * 3);
  });

  test("Gator's resources become resources and locks", async () => {
    const { file } = ok(await loadDefinitions(join(COMPAT, "gator", "job.yaml")));
    const job = file.pipelines["test_job"]!.tasks["test_job"]!;
    assert.deepEqual(job.exec, ["echo", "hey", "there", "you"]);
    assert.deepEqual(job.resources, { cpus: 1, memory: 10_000_000 });
    assert.deepEqual(job.locks, [{ name: "ToolA", count: 3 }]);
    assert.deepEqual(file.locks, { ToolA: 3 }, "a counted license's capacity is the most one job asks for");
  });
});

describe("which format a file is in", () => {
  test("Spire files stay Spire files, and a Gator tag inside one is still refused", async () => {
    for (const name of readdirSync(join(FIXTURES, "valid"))) {
      const result = await loadDefinitions(join(FIXTURES, "valid", name));
      if (result.ok) assert.equal(result.format, "spire", name);
    }
    assert.match(errors(readFileSync(join(FIXTURES, "invalid", "gator-tag.yaml"), "utf8"), "gator-tag.yaml"), /unknown YAML tag `!Job`/);
  });

  test("a prunner file is known by its script lists, or its words alone; --format decides when given", () => {
    assert.equal(ok(parseDefinitions("pipelines:\n  p:\n    tasks:\n      t:\n        script: [echo hi]\n", "p.yml")).format, "prunner");
    assert.equal(ok(parseDefinitions("pipelines:\n  p:\n    tasks:\n      t: { depends_on: [] }\n", "p.yml")).format, "prunner");
    assert.equal(ok(parseDefinitions("pipelines:\n  p:\n    tasks:\n      t:\n        script: hi.py\n", "p.yml")).format, "spire");
    assert.equal(ok(parseDefinitions("pipelines:\n  p:\n    tasks:\n      t:\n        run: echo hi\n", "p.yml")).format, "spire");
    const forced = parseDefinitions("pipelines:\n  p:\n    tasks:\n      t:\n        run: echo hi\n", "p.yml", { format: "prunner" });
    assert.equal(forced.ok, false);
    if (!forced.ok) assert.match(formatDefinitionErrors(forced.errors), /p\.yml:5:9 {2}pipelines\.p\.tasks\.t\.run: unknown key `run` in a prunner task/);
  });

  test("a Gator file is known by its first tag, after comments and ---", () => {
    const text = "# jobs\n---\n!Job\n  ident: one\n  command: echo\n";
    assert.equal(ok(parseDefinitions(text, "jobs.yaml")).format, "gator");
  });
});

describe("errors point at the original file", () => {
  test("prunner: the words of prunner's own checks, at the key that is wrong", () => {
    const text = [
      "pipelines:",
      "  deploy:",
      "    queue_strategy: replce",
      "    start_delay: 10 seconds",
      "    tasks:",
      "      build:",
      "        script:",
      "          - make {{ .target | upper }}",
      "        depends_on: [tset]",
      "      test:",
      "        scrpt: [make test]",
      "",
    ].join("\n");
    assert.equal(
      errors(text, "pipelines.yml"),
      [
        "pipelines.yml:3:21  pipelines.deploy.queue_strategy: unknown queue strategy \"replce\" (expected one of: append, replace, partitioned_replace) — did you mean `replace`?",
        "pipelines.yml:4:18  pipelines.deploy.start_delay: invalid duration \"10 seconds\" (expected a duration such as 300ms, 15s, 1h30m)",
        "pipelines.yml:8:18  pipelines.deploy.tasks.build.script[0]: the template `{{ .target | upper }}` is not supported — Spire reads prunner templates of the form {{ .NAME }} only (each becomes a variable the script reads from its environment)",
        "pipelines.yml:9:22  pipelines.deploy.tasks.build.depends_on[0]: missing task \"tset\" referenced in depends_on of task \"build\" — did you mean `test`?",
        "pipelines.yml:11:9  pipelines.deploy.tasks.test.scrpt: unknown key `scrpt` in a prunner task — did you mean `script`?",
      ].join("\n"),
    );
  });

  test("prunner: a mistake only Spire's checks find (a cycle) is shown at the prunner key", () => {
    const text = "pipelines:\n  p:\n    tasks:\n      a:\n        script: [echo a]\n        depends_on: [b]\n      b:\n        script: [echo b]\n        depends_on: [a]\n";
    assert.equal(errors(text, "pipelines.yml"), "pipelines.yml:6:9  pipelines.p.tasks.a.depends_on: dependency cycle: a → b → a — none of them could ever start: remove one of these dependencies, such as \"b\" here");
  });

  test("prunner: partitioned_replace with queue_limit, as prunner refuses it", () => {
    const text = "pipelines:\n  p:\n    queue_strategy: partitioned_replace\n    queue_limit: 3\n    tasks:\n      a:\n        script: [echo a]\n";
    assert.equal(
      errors(text, "pipelines.yml"),
      [
        "pipelines.yml:3:21  pipelines.p.queue_strategy: queue_partition_limit must be defined and >= 1 with queue_strategy: partitioned_replace",
        "pipelines.yml:4:5  pipelines.p.queue_limit: queue_limit is not allowed with queue_strategy: partitioned_replace — use queue_partition_limit (places per partition) instead",
      ].join("\n"),
    );
  });

  test("Gator: unknown variables, units, keys and jobs, each at its place", () => {
    const text = [
      "!JobGroup",
      "ident: top",
      "jobs:",
      "  - !Job",
      "      ident: a",
      "      command: echo",
      '      args: ["$UNDEFINED_VAR", "${ALSO:-fine}"]',
      "      resources:",
      "        - !Memory [1, PB]",
      "  - !Job",
      "      ident: b",
      "      comand: echo",
      "      on_pass: [aa]",
      "",
    ].join("\n");
    assert.equal(
      errors(text, "jobs.yaml"),
      [
        "jobs.yaml:7:15  jobs[0].args[0]: `$UNDEFINED_VAR` is not set in the job's environment — Spire expands variables from the env: of the job and its groups (and GATOR_ARRAY_INDEX in an array); define it there, or write \\$ for a literal $",
        "jobs.yaml:9:23  jobs[0].resources[0][1]: unknown unit \"PB\" (expected one of: KB, MB, GB, TB)",
        "jobs.yaml:11:7  jobs[1]: a !Job needs `command:` — the program to run (without a shell), its arguments in `args:`",
        "jobs.yaml:12:7  jobs[1].comand: unknown key `comand` in a !Job — did you mean `command`?",
        "jobs.yaml:13:17  jobs[1].on_pass[0]: unknown job \"aa\" in on_pass of b — did you mean `a`?",
      ].join("\n"),
    );
  });

  test("Gator: a cycle found by Spire's planner is shown at the Gator job", () => {
    const text = "!JobGroup\nident: top\njobs:\n  - !Job\n      ident: a\n      command: echo\n      on_pass: [b]\n  - !Job\n      ident: b\n      command: echo\n      on_done: [a]\n";
    assert.equal(errors(text, "jobs.yaml"), "jobs.yaml:7:7  jobs[0].on_pass: dependency cycle: a → b → a — none of them could ever start: remove one of these dependencies, such as \"b\" here");
  });

  test("Gator: aliases are capped and other tags refused, as for any definitions file", () => {
    const bomb = ["!JobGroup", "ident: top", "a: &a [x, x, x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]", "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]", "jobs: []", ""].join("\n");
    assert.match(errors(bomb, "jobs.yaml"), /too many alias expansions/);
    assert.match(errors("!JobGroup\nident: top\njobs:\n  - !!js/function 'x'\n", "jobs.yaml"), /unknown YAML tag/);
  });
});

describe("Gator's on_fail: every job listed must fail (ANDed)", () => {
  test("several on_fail become nested groups, one condition each", () => {
    const text = "!JobGroup\nident: top\njobs:\n  - !Job { ident: a, command: 'false' }\n  - !Job { ident: b, command: 'false' }\n  - !Job { ident: c, command: echo, args: [both], on_fail: [a, b] }\n";
    const { file } = ok(parseDefinitions(text, "jobs.yaml"));
    const c = file.pipelines["top"]!.tasks["c"]!;
    assert.deepEqual(c.on_fail, ["a"]);
    assert.deepEqual(c.group!["c"]!.on_fail, ["b"]);
    assert.deepEqual(plannedPaths(file, "top"), ["a", "b", "c/c"]);
  });
});

describe(".env and .env.local beside a prunner file", () => {
  test("become the pipeline's env_file and each task's (the second wins, as in prunner)", async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "pipelines.yml"), "pipelines:\n  p:\n    on_error:\n      script: [echo failed]\n    tasks:\n      t:\n        script: [echo hi]\n");
    const without = ok(await loadDefinitions(join(dir, "pipelines.yml"))).file.pipelines["p"]!;
    assert.equal(without.env_file, undefined);
    writeFileSync(join(dir, ".env"), "A=1\n");
    writeFileSync(join(dir, ".env.local"), "A=2\n");
    const loaded = ok(await loadDefinitions(join(dir, "pipelines.yml"))).file.pipelines["p"]!;
    assert.equal(loaded.env_file, ".env");
    assert.equal(loaded.tasks["t"]!.env_file, ".env.local");
    assert.equal(loaded.tasks["on_error"]!.env_file, ".env.local");
  });
});

describe("Gator's $VAR expansion (in Spire's code, never a shell)", () => {
  const env = new Map([["A", "a"], ["EMPTY", ""]]);
  const expand = (text: string) => expandVariables(text, (name) => env.get(name));
  test("$VAR, ${VAR}, defaults, and \\$ for a literal $", () => {
    assert.deepEqual(expand("$A-${A}x"), { ok: true, text: "a-ax" });
    assert.deepEqual(expand("${MISSING:-d$A} ${EMPTY:-e} ${EMPTY-f}"), { ok: true, text: "da e " });
    assert.deepEqual(expand("\\$A costs $5, 100$"), { ok: true, text: "$A costs $5, 100$" });
    assert.deepEqual(expand("$(rm -rf x) `x`"), { ok: true, text: "$(rm -rf x) `x`" }, "no command substitution: it is only text");
  });
  test("an unset variable is an error naming it", () => {
    assert.deepEqual(expand("x${NOPE}y"), { ok: false, reference: "${NOPE}", message: "`${NOPE}` is not set in the job's environment" });
    assert.equal(expand("${A:?x}").ok, false);
  });
});
