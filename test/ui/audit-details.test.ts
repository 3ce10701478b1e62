/**
 * The audit log's details as a person reads them, in a real Chromium against
 * a real engine: an option the action was not given (a retry without
 * --from) is left out, not shown as "null".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { apiStartRun, pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";
import { assertClean, launchBrowser, openUi, skipWithoutBrowser } from "../helpers/browser.js";

checkNoLeftoverProcesses();

test("a retry's audit entry shows its new run, and no 'from: null' for the --from it was not given", { skip: skipWithoutBrowser() }, async (t) => {
  const data = tempDir(t);
  const engine = await startEngine(t, data, ["-f", pipelineFile(tempDir(t), "namespace: home\npipelines:\n  broken:\n    tasks:\n      boom:\n        run: exit 3\n")]);
  const failed = await apiStartRun(engine, "home/broken");
  assert.equal((await waitForState(data, failed, "failed")).state, "failed");
  const retried = await spire(["retry", failed, "--detach"], { data });
  assert.equal(retried.code, 0, retried.stderr);

  const browser = await launchBrowser(t);
  const ui = await openUi(browser, engine);
  const { page } = ui;
  await page.goto(new URL("/engine#audit", engine.url).href);
  const entry = page.getByRole("table", { name: "Audit log" }).getByRole("row").filter({ hasText: "run.retry" });
  await entry.waitFor();
  const text = await entry.innerText();
  assert.match(text, /run …\w{6}/, "the new run, linked");
  assert.doesNotMatch(text, /null/);

  assertClean(ui);
  await browser.close();
  await stopEngine(engine);
});
