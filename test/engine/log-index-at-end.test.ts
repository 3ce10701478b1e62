/**
 * A long log is indexed as its attempt ends, and the index kept beside it
 * (`<attempt>.lines`), so that the first reader of any screen of it does not
 * wait for a read of the whole file. The engine decides from the attempt's
 * report, without looking at the file of every task that printed a few lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { attemptFiles } from "../../src/engine/runs/attempt.js";
import { admin, finishedRuns, triggerEngine } from "./trigger-harness.js";

checkNoLeftoverProcesses();

// 70,000 lines of 71 bytes: 4.7 MB, past the 4 MiB from which a log is indexed at its end.
const yaml = `pipelines:
  logs:
    tasks:
      long: { exec: [sh, -c, "yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -n 70000"] }
      short: { exec: [echo, hi] }
`;

test("a long log's index is written beside it as its attempt ends; a short log gets none", async (t) => {
  const { engine, store, defs } = await triggerEngine(t, yaml, { namespace: "i" });
  const run = await engine.startRun(admin, "i", "logs", { args: {} });
  const [done] = await finishedRuns(store, "i", "logs", 1);
  assert.equal(done!.state, "succeeded");
  const dataDir = dirname(defs);
  const long = attemptFiles(dataDir, run.id, "long", 1);
  const short = attemptFiles(dataDir, run.id, "short", 1);
  assert.ok(existsSync(long.logFile) && existsSync(short.logFile), "both logs are where the index goes beside");
  const index = long.logFile.replace(/\.log$/, ".lines");
  await until(() => existsSync(index), `the index ${index} beside the long log`);
  assert.equal(existsSync(short.logFile.replace(/\.log$/, ".lines")), false);
});
