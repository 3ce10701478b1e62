/**
 * What completion asks of a running engine, in the real shells: pipeline
 * names, run ids (and `last`), the tasks of a run (given by id, or as
 * `last PIPELINE`, and for retry --from), namespaces; and `--data` given on
 * the line is where the engine is looked for.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";
import { completer, missingShell, type Shell } from "../helpers/shells.js";

checkNoLeftoverProcesses();

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

/** An engine with both pipelines run once; the data folder and the two run ids. */
async function engineWithRuns(t: TestContext) {
  const data = tempDir(t);
  const engine = await startEngine(t, data, ["-f", pipelineFile(tempDir(t), DEFINITIONS)]);
  const ids: Record<string, string> = {};
  for (const pipeline of ["backup", "report"]) {
    const started = await spire(["run", pipeline, "--detach"], { data });
    assert.equal(started.code, 0, started.stderr);
    ids[pipeline] = started.stdout.trim();
    assert.equal((await waitForState(data, ids[pipeline]!, "succeeded")).state, "succeeded");
  }
  return { engine, data, backup: ids.backup!, report: ids.report! };
}

for (const shell of ["bash", "zsh", "fish"] as Shell[]) {
  test(`${shell}: pipeline names, run ids, task names and namespaces from a running engine`, { skip: missingShell(shell) }, async (t) => {
    const { engine, data, backup, report } = await engineWithRuns(t);
    const shellCompleter = await completer(t, shell, data);
    // One at a time, as a person presses Tab: each asks the engine within the helper's budget.
    const ask = async (line: string) => sorted(await shellCompleter.complete(line));
    const backupTasks = ["checks/size", "compress", "dump"];
    assert.deepEqual(await ask("spire run "), ["backup", "report"]);
    assert.deepEqual(await ask("spire show "), sorted(["last", backup, report]));
    assert.deepEqual(await ask("spire show last "), ["backup", "report"]);
    assert.deepEqual(await ask(`spire logs ${backup} `), backupTasks);
    assert.deepEqual(await ask("spire logs last backup "), backupTasks);
    assert.deepEqual(await ask(`spire retry ${backup} --from `), backupTasks);
    assert.deepEqual(await ask("spire ls --ns "), ["home"]);
    await stopEngine(engine);
  });
}

test("bash: --data on the line is where the engine is looked for", { skip: missingShell("bash") }, async (t) => {
  const { engine, data, report } = await engineWithRuns(t);
  // The shell's own SPIRE_DATA names an empty folder: only --data leads to the engine.
  const bash = await completer(t, "bash", tempDir(t));
  assert.deepEqual(await bash.complete("spire run "), []);
  assert.deepEqual(sorted(await bash.complete(`spire --data ${data} run `)), ["backup", "report"]);
  assert.deepEqual(await bash.complete(`spire logs --data=${data} ${report} `), ["mail"]);
  await stopEngine(engine);
});
