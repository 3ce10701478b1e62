/**
 * The engine going away while the web UI is open: a banner says so; when it
 * is back (same address, same data folder) the banner goes and the page
 * shows what is current, without a reload and without logging in again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { assertClean, launchBrowser, openUi, skipWithoutBrowser } from "../helpers/browser.js";

checkNoLeftoverProcesses();

function definitions(names: string[]): string {
  return `namespace: home\npipelines:\n${names.map((name) => `  ${name}:\n    tasks:\n      step:\n        run: echo ${name}\n`).join("")}`;
}

test("a stopped engine is shown as a banner; once it is back the banner goes and the page shows current data without a reload", { skip: skipWithoutBrowser() }, async (t) => {
  const dir = tempDir(t);
  const data = tempDir(t);
  const file = pipelineFile(dir, definitions(["backup", "report"]));
  const engine = await startEngine(t, data, ["-f", file]);
  const port = new URL(engine.url).port;
  const browser = await launchBrowser(t);
  const ui = await openUi(browser, engine);
  const { page } = ui;
  await page.getByRole("link", { name: "report" }).waitFor();
  await page.evaluate("window.__sameDocument = true");
  const banner = page.getByRole("alert").filter({ hasText: "The engine is not answering" });
  assert.equal(await banner.count(), 0, "no banner while the engine answers");

  await stopEngine(engine); // SIGTERM
  await banner.waitFor();

  // Back on the same address with the same data folder, and a pipeline more in its file: the page catches up by itself.
  pipelineFile(dir, definitions(["backup", "report", "sync"]));
  const again = await startEngine(t, data, ["-f", file, "--listen", `127.0.0.1:${port}`]);
  assert.equal(again.url, engine.url);
  await banner.waitFor({ state: "detached", timeout: 20_000 }); // the stream retries with backoff: 1 s, 2 s, 4 s…
  await page.getByRole("link", { name: "sync" }).waitFor();
  await page.getByRole("status").filter({ hasText: "3 pipelines" }).waitFor();
  assert.equal(await page.evaluate("window.__sameDocument"), true, "not reloaded");
  assert.equal(new URL(page.url()).pathname, "/", "still logged in, on the same page");

  assertClean(ui);
  await browser.close();
  await stopEngine(again);
});
