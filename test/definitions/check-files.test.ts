/**
 * Files a definitions file names, checked on disk when it is loaded:
 * scripts (script:, uv:, an exec program given as a path, a Gator command)
 * must exist where the task will look, and one run as a program must be
 * executable; a watched path not there yet is only a warning.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatDefinitionErrors, loadDefinitions, type LoadResult } from "../../src/definitions/load.js";
import { tempDir } from "../helpers/tmp.js";

function lines(result: LoadResult): string {
  return formatDefinitionErrors(result.ok ? result.warnings : [...result.errors, ...result.warnings]);
}

test("a script that is not there is an error at its line, with where it was looked for", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "jobs"));
  const file = join(dir, "spire.yaml");
  writeFileSync(file, "pipelines:\n  p:\n    tasks:\n      a:\n        script: ./missing.sh\n      b:\n        cwd: jobs\n        uv: fetch.py\n      c:\n        exec: [./bin/tool, --fast]\n");
  const result = await loadDefinitions(file);
  assert.equal(result.ok, false);
  assert.equal(
    lines(result),
    [
      `${file}:5:17  pipelines.p.tasks.a.script: "./missing.sh" does not exist (looked for ${join(dir, "missing.sh")}) — paths are relative to the definitions file`,
      `${file}:8:13  pipelines.p.tasks.b.uv: "fetch.py" does not exist (looked for ${join(dir, "jobs", "fetch.py")}) — paths are relative to the task's cwd (jobs)`,
      `${file}:10:16  pipelines.p.tasks.c.exec[0]: "./bin/tool" does not exist (looked for ${join(dir, "bin", "tool")}) — paths are relative to the definitions file`,
    ].join("\n"),
  );
});

test("a script run as a program must be executable: the error says chmod +x; interpreted ones need not be", async (t) => {
  const dir = tempDir(t);
  for (const name of ["job.sh", "tool.py", "plain"]) writeFileSync(join(dir, name), "#!/bin/sh\necho hi\n", { mode: 0o644 });
  const file = join(dir, "spire.yaml");
  writeFileSync(file, "pipelines:\n  p:\n    tasks:\n      a: { script: job.sh }\n      b: { script: tool.py }\n      c: { script: plain, interpreter: sh }\n");
  const result = await loadDefinitions(file);
  assert.equal(
    lines(result),
    `${file}:4:20  pipelines.p.tasks.a.script: "job.sh" is not executable, and it is run as a program (by its #! line) — make it executable: chmod +x ${join(dir, "job.sh")}`,
  );
  chmodSync(join(dir, "job.sh"), 0o755);
  const fixed = await loadDefinitions(file);
  assert.ok(fixed.ok, lines(fixed));
});

test("what is only known when a run starts is not checked: a cwd with a template, a program looked up in PATH", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "spire.yaml");
  writeFileSync(
    file,
    'pipelines:\n  p:\n    args: { where: { default: /tmp } }\n    tasks:\n      a: { script: ./made-later.sh, cwd: "${{ args.where }}" }\n      b: { exec: [no-such-program-here] }\n      c: { script: ./made-later.sh }\n',
  );
  const result = await loadDefinitions(file);
  // Only the one whose folder is known now.
  assert.equal(result.ok ? "" : result.errors.map((error) => error.keyPath).join(" "), "pipelines.p.tasks.c.script");
});

test("a watched path that does not exist yet is a warning, not an error", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "inbox"));
  const file = join(dir, "spire.yaml");
  writeFileSync(file, "pipelines:\n  p:\n    triggers:\n      - watch: [./inbox, ./inbx]\n    tasks:\n      a: { run: \"true\" }\n");
  const result = await loadDefinitions(file);
  assert.ok(result.ok);
  assert.equal(
    lines(result),
    `${file}:4:26  warning: pipelines.p.triggers[0].watch[1]: "./inbx" does not exist yet (looked for ${join(dir, "inbx")}); the trigger starts watching it when it appears — paths are relative to the definitions file`,
  );
});

test("a Gator job's command given as a path is checked too, and the error is placed on the Gator file", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "job.yaml");
  writeFileSync(file, "!Job\n  ident: nightly\n  command: ./missing-job.sh\n  args:\n    - --fast\n");
  const result = await loadDefinitions(file);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.errors.length, 1, lines(result));
  assert.equal(result.errors[0]!.line, 3);
  assert.match(result.errors[0]!.message, /"\.\/missing-job\.sh" does not exist/);
});
