/**
 * `spire engine` stopped with SIGTERM while many tasks run that ignore
 * SIGTERM: it waits its --grace, cancels them (TERM, KILL after each task's
 * kill_grace) and exits, in about grace + kill_grace however many tasks
 * there are, leaving no task process behind.
 *
 * Before the fix, each task looked through /proc twice before being
 * signalled and polled all of /proc every 10 ms while it waited for its
 * group to end: with 40 tasks the engine took 5 s and more over its
 * grace + kill_grace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { until } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

const TASKS = 40;
const GRACE_MS = 2_000;
const KILL_GRACE_MS = 1_000;
/** The engine's own stopping (store, server, supervisor) on a loaded 2-core machine. */
const MARGIN_MS = 1_500;

test(`SIGTERM to the engine with ${TASKS} tasks ignoring TERM: it exits within grace + kill_grace + ${MARGIN_MS} ms and leaves no task behind`, async (t) => {
  const data = tempDir(t);
  const marks = join(data, "marks");
  // TERM ignored by the shell and (inherited) by its sleep: only the SIGKILL after kill_grace ends them.
  const run = `mkdir -p "${marks}"; trap '' TERM; : > "${marks}/ready-$SPIRE_ARRAY_INDEX"; sleep 1000 & wait`;
  const file = pipelineFile(data, `namespace: s\npipelines:\n  stubborn:\n    tasks:\n      hold: { repeat: ${TASKS}, kill_grace: 1s, run: ${JSON.stringify(run)} }\n`);
  const engine = await startEngine(t, join(data, "engine"), ["-f", file, "--grace", `${GRACE_MS / 1000}s`, "--parallelism", String(TASKS + 4)]);
  const started = await spire(["run", "stubborn", "--detach"], { data: engine.data });
  assert.equal(started.code, 0, started.stderr);
  const ready = () => {
    try {
      return readdirSync(marks).length;
    } catch {
      return 0;
    }
  };
  await until(() => ready() === TASKS, `${TASKS} tasks running`, 30_000);
  const stopAt = Date.now();
  engine.child.kill("SIGTERM");
  const exit = await engine.exit;
  const tookMs = Date.now() - stopAt;
  t.diagnostic(`the engine exited ${tookMs} ms after SIGTERM (grace ${GRACE_MS} + kill_grace ${KILL_GRACE_MS})`);
  assert.equal(exit.code, 0, exit.stderr);
  assert.ok(tookMs < GRACE_MS + KILL_GRACE_MS + MARGIN_MS, `the engine took ${tookMs} ms to exit`);
});
