/**
 * What completion asks of a running engine, in the real shells: pipeline
 * names, run ids (and `last`), the tasks of a run (given by id, or as
 * `last PIPELINE`, and for retry --from), namespaces; and `--data` given on
 * the line is where the engine is looked for.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { apiGet, pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { until } from "../helpers/poll.js";
import { completer, missingShell, type Shell } from "../helpers/shells.js";

const sorted = (values: string[]) => [...new Set(values)].sort();

const DEFINITIONS = `
namespace: home
pipelines:
  backup:
    description: Nightly backup
    tasks:
      dump: { run: echo dump }
      compress: { run: echo compress, needs: [dump] }
      checks:
        needs: [compress]
        group:
          size: { run: echo 42 }
  report:
    tasks:
      mail: { run: echo sent }
`;

const BACKUP_TASKS = ["checks/size", "compress", "dump"];

// One engine for every shell (starting it and running its pipelines is most of the time these tests take),
// so the check for processes left behind comes once, at the end, not after each shell's subtest.
test("completion from a running engine: pipeline names, run ids, task names and namespaces, in bash, zsh and fish", async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data, ["-f", pipelineFile(tempDir(t), DEFINITIONS)]);
  const ids: Record<string, string> = {};
  for (const pipeline of ["backup", "report"]) {
    const started = await spire(["run", pipeline, "--detach"], { data });
    assert.equal(started.code, 0, started.stderr);
    ids[pipeline] = started.stdout.trim();
    await until(async () => (await apiGet<{ state: string }>(engine, `/runs/${ids[pipeline]}`)).state === "succeeded", `${pipeline}'s run to succeed`);
  }
  const [backup, report] = [ids.backup!, ids.report!];

  for (const shell of ["bash", "zsh", "fish"] as Shell[]) {
    await t.test(shell, { skip: missingShell(shell) }, async (t) => {
      const shellCompleter = await completer(t, shell, data);
      // One at a time, as a person presses Tab: each asks the engine within the helper's budget.
      const answers = await shellCompleter.completeEach([
        "spire run ",
        "spire show ",
        "spire show last ",
        `spire logs ${backup} `,
        "spire logs last backup ",
        "spire logs last ",
        `spire retry ${backup} --from `,
        "spire ls --ns ",
      ]);
      assert.deepEqual(answers.map(sorted), [
        ["backup", "report"],
        sorted(["last", backup, report]),
        ["backup", "report"],
        BACKUP_TASKS,
        BACKUP_TASKS,
        // After last alone, a word is a task of the newest run (report's), or a pipeline.
        ["backup", "mail", "report"],
        BACKUP_TASKS,
        ["home"],
      ]);
    });
  }

  await t.test("bash: --data on the line is where the engine is looked for", { skip: missingShell("bash") }, async (t) => {
    // The shell's own SPIRE_DATA names an empty folder: only --data leads to the engine.
    const bash = await completer(t, "bash", tempDir(t));
    const answers = await bash.completeEach(["spire run ", `spire --data ${data} run `, `spire logs --data=${data} ${report} `]);
    assert.deepEqual(answers.map(sorted), [[], ["backup", "report"], ["mail"]]);
  });
  await stopEngine(engine);
  await assertNoLeftoverProcesses();
});
