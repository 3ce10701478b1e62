/**
 * `spire run` started three times at once over one data folder, with no
 * engine (each run in its own process, as crontab starts them): the
 * pipeline's `concurrency: 1` holds across the processes, and every run
 * ends, one after another.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { finished, startSpire } from "../helpers/cli.js";
import { pipelineFile } from "../helpers/engine.js";

checkNoLeftoverProcesses();

test("concurrency: 1 holds across spire run processes started at once: one run at a time, all of them run", async (t) => {
  const data = tempDir(t);
  const ledger = join(data, "ledger");
  const file = pipelineFile(
    data,
    `pipelines:
  once:
    concurrency: 1
    tasks:
      a: { run: 'echo + >> "${ledger}"; sleep 0.4; echo - >> "${ledger}"' }
`,
  );
  const runs = [0, 1, 2].map(() => finished(startSpire(["run", "-f", file, "once"], { data })));
  for (const result of await Promise.all(runs)) assert.equal(result.code, 0, result.stderr);
  const marks = readFileSync(ledger, "utf8").trim().split("\n");
  assert.equal(marks.length, 6, "every run ran its task");
  let running = 0;
  for (const mark of marks) {
    running += mark === "+" ? 1 : -1;
    assert.ok(running <= 1, `two runs at once: ${marks.join(" ")}`);
  }
});

test("a pipeline's queue limit holds across spire run processes too: with one place to wait, the third at once is refused", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(
    data,
    `pipelines:
  limited:
    concurrency: 1
    queue: { limit: 1 }
    tasks:
      a: { run: 'sleep 2' }
`,
  );
  const results = await Promise.all([0, 1, 2].map(() => finished(startSpire(["run", "-f", file, "limited", "--json"], { data }))));
  const ran = results.filter((result) => result.code === 0);
  assert.equal(ran.length, 2, results.map((result) => result.stderr).join("\n"));
  for (const result of ran) assert.equal((JSON.parse(result.stdout) as { state: string }).state, "succeeded");
  const refused = results.find((result) => result.code !== 0);
  assert.match(refused?.stderr ?? "", /run refused: the queue is full: 1 of 1 places taken/);
});
