import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { formatDefinitionErrors, loadDefinitions, parseDefinitions } from "../../src/definitions/load.js";
import { MAX_DEFINITIONS_BYTES } from "../../src/definitions/yaml-source.js";
import type { SpireFile } from "../../src/definitions/schema.js";
import { tempDir } from "../helpers/tmp.js";
import { FIXTURES } from "./fixtures.js";

function parseOk(text: string): SpireFile {
  const result = parseDefinitions(text, "spire.yaml");
  if (!result.ok) assert.fail(formatDefinitionErrors(result.errors));
  return result.file;
}

function parseErrors(text: string): string {
  const result = parseDefinitions(text, "spire.yaml");
  assert.equal(result.ok, false, "expected errors");
  return result.ok ? "" : formatDefinitionErrors(result.errors);
}

describe("valid files", () => {
  test("the SPEC example parses to the normalised model", () => {
    const file = parseOk(readFileSync(join(FIXTURES, "valid/spec-example.yaml"), "utf8"));
    const backup = file.pipelines["backup"]!;
    assert.equal(file.namespace, "home");
    assert.deepEqual(file.locks, { db: 1, tool_a: 2 });
    assert.deepEqual(backup.triggers.map((trigger) => trigger.kind), ["cron", "every", "every", "at", "watch", "webhook", "after"]);
    assert.equal(backup.triggers[1]!.every, 900_000);
    assert.equal(backup.triggers[4]!.debounce, 500);
    assert.equal(backup.timeout, 7_200_000);
    assert.equal(backup.debounce, 2_000);
    assert.deepEqual(backup.queue, { limit: 5, strategy: "append" });
    assert.deepEqual(backup.args["level"], { type: "string", enum: ["fast", "best"], required: true });
    const dump = backup.tasks["dump"]!;
    assert.equal(dump.kind, "run");
    assert.equal(dump.timeout, 600_000);
    assert.equal(dump.kill_grace, 10_000);
    assert.deepEqual(dump.limits, { memory: 2 * 1024 ** 3, cpu_time: 300_000 });
    assert.deepEqual(dump.resources, { cpus: 2, memory: 1024 ** 3 });
    assert.deepEqual(dump.retries, { max: 3, backoff: 5_000, factor: 2, max_delay: 60_000 });
    assert.deepEqual(backup.tasks["alert"]!.on_fail, ["dump", "compress"]);
    const checks = backup.tasks["checks"]!;
    assert.equal(checks.kind, "group");
    assert.equal(checks.group?.["ping"]?.kind, "http");
    assert.equal(checks.group?.["ping"]?.http?.method, "GET");
    assert.equal(backup.tasks["shards"]!.repeat, 4);
  });

  test("aliases merge into needs, retries expand, numbers become strings in env", () => {
    const file = parseOk(readFileSync(join(FIXTURES, "valid/aliases.yaml"), "utf8"));
    const tasks = file.pipelines["etl"]!.tasks;
    assert.deepEqual(tasks["transform"]!.needs, ["extract"]);
    assert.deepEqual(tasks["load"]!.needs, ["transform"]);
    assert.equal("on_pass" in tasks["transform"]!, false);
    assert.equal("depends_on" in tasks["load"]!, false);
    assert.deepEqual(tasks["extract"]!.retries, { max: 2, backoff: 1_000, factor: 2, max_delay: 300_000 });
    assert.equal(tasks["extract"]!.timeout, 90_000);
    assert.deepEqual(tasks["transform"]!.retries, { max: 1, backoff: 500, factor: 2, max_delay: 300_000 });
    assert.equal(tasks["load"]!.kill_grace, 5_400_000);
    assert.deepEqual(tasks["report"]!.env, { OUT: "${{ tasks.load.outputs.rows }}", DEBUG: "true", N: "3" });
    assert.deepEqual(file.pipelines["etl"]!.args["limit"], { type: "number", default: 10, required: false });
  });

  test("the result carries the source text and path", () => {
    const text = "pipelines: { p: { tasks: { a: { run: 'true' } } } }\n";
    const result = parseDefinitions(text, "x.yaml");
    assert.ok(result.ok);
    assert.equal(result.source, text);
    assert.equal(result.path, "x.yaml");
  });

  test("a task or argument named `constructor` is an ordinary name", () => {
    const file = parseOk(`
pipelines:
  constructor:
    args: { constructor: { default: x }, toString: y }
    tasks:
      constructor: { exec: [echo, "\${{ args.constructor }}", "\${{ args.toString }}"] }
      hasOwnProperty: { needs: [constructor], run: "true" }
`);
    const pipeline = file.pipelines["constructor"]!;
    assert.ok(Object.hasOwn(pipeline.tasks, "constructor"));
    assert.deepEqual(pipeline.tasks["hasOwnProperty"]!.needs, ["constructor"]);
  });
});

describe("prototype safety", () => {
  test("__proto__ keys are refused and pollute nothing", () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const errors = parseErrors(`
metadata:
  __proto__: { polluted: yes }
pipelines:
  p:
    env: { __proto__: x }
    args:
      __proto__: { default: 1 }
    tasks:
      __proto__: { run: "true" }
      constructor:
        run: "true"
        env: { constructor: y, __proto__: { polluted: 2 } }
`);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
    const lines = errors.split("\n").filter((line) => line.includes("`__proto__` cannot be used"));
    assert.deepEqual(
      lines.map((line) => line.split("  ")[0]),
      ["spire.yaml:3:3", "spire.yaml:6:12", "spire.yaml:8:7", "spire.yaml:10:7", "spire.yaml:13:32"],
    );
  });

  test("a template naming an undeclared `constructor` arg is not found on the prototype", () => {
    const errors = parseErrors("pipelines: { p: { tasks: { a: { exec: [echo, '${{ args.constructor }}'] } } } }\n");
    assert.match(errors, /args\.constructor }}` names an argument that is not declared/);
  });
});

describe("all errors at once", () => {
  test("a pipeline's graph errors come even when another pipeline has a schema error", () => {
    const errors = parseErrors("pipelines:\n  a:\n    tasks:\n      t: { run: x, needs: [nothere] }\n      c1: { run: x, needs: [c2] }\n      c2: { run: x, needs: [c1] }\n  b:\n    tasks:\n      u: { runn: x }\n");
    assert.match(errors, /spire\.yaml:4:28 {2}pipelines\.a\.tasks\.t\.needs\[0\]: unknown task "nothere" in needs of t/);
    assert.match(errors, /cycle/);
    assert.match(errors, /pipelines\.b\.tasks\.u\.runn: unknown key `runn`/);
  });

  test("YAML, schema, semantic and graph errors of one file are reported together, in file order", () => {
    const errors = parseErrors(`pipelines:
  backup:
    catchup: sometimes
    triggers:
      - cron: "0 3 * * *"
        timezone: Mars/Olympus
    args:
      target: { default: /srv, pattern: "(" }
    tasks:
      dump:
        run: pg_dump \${{ args.target }}
        timout: 10m
      dump2:
        run: a
        run: b
  other:
    tasks:
      a: { needs: [b], run: x }
      b: { needs: [a], run: y }
`);
    const lines = errors.split("\n");
    const expectations = [
      /^spire\.yaml:3:14  pipelines\.backup\.catchup: unknown value "sometimes"/,
      /^spire\.yaml:6:19  pipelines\.backup\.triggers\[0\]\.timezone: unknown time zone "Mars\/Olympus"/,
      /^spire\.yaml:8:41  pipelines\.backup\.args\.target\.pattern: not a valid regular expression/,
      /^spire\.yaml:11:22  pipelines\.backup\.tasks\.dump\.run: a template \(`\$\{\{ args\.target }}`\) cannot be used in run/,
      /^spire\.yaml:12:9  pipelines\.backup\.tasks\.dump\.timout: unknown key `timout` — did you mean `timeout`\?/,
      /^spire\.yaml:15:9  pipelines\.backup\.tasks\.dump2\.run: duplicate key `run`/,
      // other is right on its own: its graph is checked though backup is not.
      /^spire\.yaml:18:\d+  pipelines\.other\.tasks\.[ab]\.needs: dependency cycle/,
    ];
    assert.equal(lines.length, expectations.length, errors);
    expectations.forEach((pattern, index) => assert.match(lines[index]!, pattern));
  });

  test("graph errors are reported with the other semantic errors once the schema passes", () => {
    const errors = parseErrors(`pipelines:
  p:
    triggers: [{ at: "soon" }]
    tasks:
      a: { needs: [b], run: x }
      b: { depends_on: [a], run: y }
`);
    const lines = errors.split("\n");
    assert.equal(lines.length, 2, errors);
    assert.match(lines[0]!, /^spire\.yaml:3:22  pipelines\.p\.triggers\[0\]\.at: "soon" is not a date and time/);
    assert.match(lines[1]!, /^spire\.yaml:5:\d+  pipelines\.p\.tasks\.[ab]\.(needs|depends_on).*: dependency cycle/);
  });
});

describe("positions", () => {
  test("flow mappings, block scalars and quoted keys are located exactly", () => {
    const errors = parseErrors(`pipelines:
  "p":
    tasks: { a: { run: x, tiemout: 1m }, "b": { exec: [x, "\${{ args.nope }}"] } }
    notify:
      - on: [failure]
        run: |
          echo failed
          echo "\${{ run.id }}"
`);
    const lines = errors.split("\n");
    assert.match(lines[0]!, /^spire\.yaml:3:27  pipelines\.p\.tasks\.a\.tiemout: unknown key/);
    assert.match(lines[1]!, /^spire\.yaml:3:60  pipelines\.p\.tasks\.b\.exec\[1\]: `\$\{\{ args\.nope }}` names an argument/);
    assert.match(lines[2]!, /^spire\.yaml:8:17  pipelines\.p\.notify\[0\]\.run: a template .* use "\$SPIRE_RUN_ID" in run$/);
  });

  test("a missing key is reported at the mapping that lacks it", () => {
    assert.equal(
      parseErrors("namespace: n\npipelines:\n  p:\n    description: no tasks\n"),
      "spire.yaml:3:3  pipelines.p.tasks: required, but missing (expected a mapping of task names to tasks)",
    );
  });
});

describe("loadDefinitions", () => {
  test("reads a file, resolving env_file next to it", async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "spire.yaml"), "pipelines:\n  p:\n    env_file: conf/.env\n    tasks:\n      a: { run: x, env_file: missing.env }\n");
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "conf/.env"), "A=1\n");
    const result = await loadDefinitions(join(dir, "spire.yaml"));
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(
      formatDefinitionErrors(result.errors),
      `${join(dir, "spire.yaml")}:5:30  pipelines.p.tasks.a.env_file: env_file "missing.env" does not exist (looked for ${join(dir, "missing.env")}) — paths are relative to the definitions file`,
    );
    writeFileSync(join(dir, "missing.env"), "B=2\n");
    const again = await loadDefinitions(join(dir, "spire.yaml"));
    assert.ok(again.ok, again.ok ? "" : formatDefinitionErrors(again.errors));
    assert.equal(again.path, join(dir, "spire.yaml"));
  });

  test("an env_file that is a folder, or has lines that are not KEY=VALUE, is an error at its place, without the lines' text", async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "spire.yaml"), "pipelines:\n  p:\n    env_file: envdir\n    triggers: [{ every: 2s }]\n    tasks:\n      a: { run: x, env_file: bad.env }\n");
    mkdirSync(join(dir, "envdir"));
    writeFileSync(join(dir, "bad.env"), "GOOD=1\nthis is not a line hunter2\n# a comment\n9LIVES=x\n");
    const result = await loadDefinitions(join(dir, "spire.yaml"));
    assert.equal(result.ok, false);
    if (result.ok) return;
    const text = formatDefinitionErrors(result.errors);
    assert.equal(
      text,
      [
        `${join(dir, "spire.yaml")}:3:15  pipelines.p.env_file: env_file "envdir" is a folder, not a file (looked for ${join(dir, "envdir")}) — env_file names a file of KEY=VALUE lines that the user who runs Spire can read`,
        `${join(dir, "spire.yaml")}:6:30  pipelines.p.tasks.a.env_file: env_file "bad.env" has lines Spire cannot read (line 2: expected KEY=VALUE; line 4: what stands before = is not a variable name (letters, digits and _, not starting with a digit)) — each line is KEY=VALUE, on one line (an \`export \` before it, \`#\` comments and a quoted value are fine; a value cannot go on to the next line)`,
      ].join("\n"),
    );
    assert.doesNotMatch(text, /hunter2|9LIVES/, "a line's text is never shown, nor what stands before its =");
  });

  test("an env_file larger than 1 MiB is refused; a pipe is left for the run to read (reading it here would wait for its writer)", async (t) => {
    const dir = tempDir(t);
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [join(dir, "pipe.env")]);
    writeFileSync(join(dir, "big.env"), `A=${"x".repeat(1024 * 1024 + 10)}\n`);
    writeFileSync(join(dir, "spire.yaml"), "pipelines:\n  p:\n    env_file: pipe.env\n    tasks:\n      a: { run: x, env_file: big.env }\n");
    const result = await loadDefinitions(join(dir, "spire.yaml"));
    assert.equal(result.ok, false);
    const text = result.ok ? "" : formatDefinitionErrors(result.errors);
    assert.doesNotMatch(text, /pipe\.env/, "the pipe is not read, and not refused");
    assert.match(text, /env_file "big\.env" holds more than 1 MiB: an env file is a file of variables/);
    // When a run is made, a device is read up to the limit, not to the end of memory.
    const { loadEnvFile } = await import("../../src/definitions/dotenv.js");
    await assert.rejects(loadEnvFile("/dev/zero"), /env_file \/dev\/zero holds more than 1 MiB/);
  });

  test("the SPEC example loads from disk (its .env exists)", async () => {
    const result = await loadDefinitions(join(FIXTURES, "valid/spec-example.yaml"));
    assert.ok(result.ok, result.ok ? "" : formatDefinitionErrors(result.errors));
  });

  test("a file over 5 MiB is refused before it is read", async (t) => {
    const dir = tempDir(t);
    const path = join(dir, "big.yaml");
    writeFileSync(path, `pipelines: {}\n# ${"x".repeat(MAX_DEFINITIONS_BYTES)}\n`);
    const result = await loadDefinitions(path);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(
      formatDefinitionErrors(result.errors),
      `${path}:1:1  the file is 5.0 MiB; definitions files are limited to 5 MiB — split it into several files (one namespace each), or move data out of it`,
    );
    const inMemory = parseDefinitions(readFileSync(path, "utf8"), "big.yaml");
    assert.equal(inMemory.ok, false);
    if (!inMemory.ok) assert.match(inMemory.errors[0]!.message, /limited to 5 MiB/);
  });

  test("a missing file is one clear error without a position", async (t) => {
    const path = join(tempDir(t), "nope.yaml");
    const result = await loadDefinitions(path);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(formatDefinitionErrors(result.errors), `${path}  no such file — create it, or pass another file with -f`);
  });
});
