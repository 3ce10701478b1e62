/**
 * Workers in the web UI, in a real Chromium against a real engine and a
 * real `spire worker` on this machine: the engine page's Workers section
 * lists the engine's own machine, then a worker that registers while the
 * page is open (without a reload), and shows it lost once it stops and its
 * lease runs out; the run page says where a task ran when the run used
 * another machine, and says nothing of it when a run stayed on the engine's.
 * axe-core on the engine page with a worker listed, light and dark; a
 * phone's width does not scroll it sideways.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { finished, spire, startSpire } from "../helpers/cli.js";
import { apiStartRun, pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";
import { assertClean, launchBrowser, openUi, scrollsSideways, seriousViolations, skipWithoutBrowser } from "../helpers/browser.js";

checkNoLeftoverProcesses();

const DEFINITIONS = `namespace: lab
pipelines:
  train:
    description: Train on the machine with the GPU, then write the report here
    tasks:
      fit:
        runs_on: [gpu]
        run: echo "fitting on $SPIRE_WORKER"
      report:
        needs: [fit]
        run: echo "report written"
  tidy:
    description: Stays on the engine's machine
    tasks:
      sweep:
        run: "true"
`;

/** The Workers section's row of a machine, found by its name as the row's header. */
function workerRow(page: Page, name: string): Locator {
  return page
    .getByRole("region", { name: "Workers" })
    .getByRole("table", { name: "The machines that run tasks" })
    .getByRole("row")
    .filter({ has: page.getByRole("rowheader", { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`) }) });
}

/** The text of a row's cell under the column `header` (the row header is the first column). */
async function cellText(row: Locator, header: string): Promise<string> {
  return (await row.locator(`[data-label="${header}"]`).innerText()).trim();
}

test("the engine page lists the machines that run tasks, live; the run page says where a task ran", { skip: skipWithoutBrowser() }, async (t) => {
  const dir = tempDir(t);
  const engine = await startEngine(t, tempDir(t), ["--worker-lease", "2s", "-f", pipelineFile(dir, DEFINITIONS)]);
  const made = await spire(["token", "create", "--scope", "worker", "--name", "ui-box"], { data: engine.data });
  assert.equal(made.code, 0, made.stderr);
  const workerToken = made.stdout.trim();
  const host = hostname();

  const browser = await launchBrowser(t);
  const ui = await openUi(browser, engine);
  const { page } = ui;
  await page.goto(`${engine.url}/engine`);

  // Only the engine's machine, marked as such, and how to add another.
  const local = workerRow(page, host);
  await local.waitFor();
  assert.match(await local.getByRole("rowheader").innerText(), /the engine's machine/);
  assert.equal(await cellText(local, "State"), "connected");
  assert.deepEqual((await local.locator('[data-label="Labels"] li').allInnerTexts()).map((text) => text.trim()), ["local", host]);
  const workers = page.getByRole("region", { name: "Workers" });
  await workers.getByText("Only the engine's own machine runs tasks").waitFor();
  assert.match(await workers.innerText(), /spire worker --engine http:\/\/ADDRESS:PORT --token TOKEN --labels gpu,linux/, "the command to start one, with an address other machines can use");
  assert.match(await workers.innerText(), /spire token create --scope worker/);
  await page.setViewportSize({ width: 375, height: 740 });
  assert.equal(await scrollsSideways(page), undefined, "the engine page with the hint, at 375 px");
  await page.setViewportSize({ width: 1280, height: 800 });

  // A worker that registers while the page is open shows up in it, without a reload.
  await page.evaluate("window.__sameDocument = true");
  const workerData = join(dir, "worker-data");
  const worker = startSpire(["worker", "--engine", engine.url, "--token", workerToken, "--labels", "gpu", "--name", "ui-box", "--data", workerData, "--workdir", dir], { data: workerData });
  const workerExit = finished(worker);
  t.after(async () => {
    if (worker.exitCode === null && worker.signalCode === null) {
      worker.kill("SIGTERM");
      await workerExit;
    }
  });
  const box = workerRow(page, "ui-box");
  await box.getByText("connected", { exact: true }).waitFor({ timeout: 15_000 });
  assert.equal(await page.evaluate("window.__sameDocument === true"), true, "the row came without a reload");
  assert.deepEqual(await page.getByRole("region", { name: "Workers" }).getByRole("rowheader").allInnerTexts().then((names) => names.map((name) => name.split(/\s/)[0])), [host, "ui-box"], "the engine's machine first");
  assert.deepEqual((await box.locator('[data-label="Labels"] li').allInnerTexts()).map((text) => text.trim()), ["gpu"]);
  assert.match(await cellText(box, "Tasks"), /^0 of \d+$/);
  assert.equal(await workers.getByText("Only the engine's own machine runs tasks").count(), 0, "no hint to add one once there is one");
  // Last seen: relative, the exact time on hover.
  const seen = box.locator('[data-label="Last seen"] time');
  assert.match(await seen.innerText(), /^(just now|\d+ s ago)$/);
  assert.match((await seen.getAttribute("title")) ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);

  // axe-core on the page with the section filled, light and dark.
  const violations: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    for (const line of await seriousViolations(page)) violations.push(`/engine (${colorScheme}): ${line}`);
  }
  assert.deepEqual(violations, [], "axe-core: serious or critical violations");
  // A phone: the table becomes cards, nothing pushes the page sideways.
  await page.setViewportSize({ width: 375, height: 740 });
  // Still a table of rows to a screen reader: the row found by its header, named without the card's label ("Name").
  await box.waitFor();
  assert.equal(await scrollsSideways(page), undefined, "the engine page at 375 px");
  await page.setViewportSize({ width: 1280, height: 800 });

  // A run with a task for the worker: the run page says where each task ran.
  const id = await apiStartRun(engine, "lab/train");
  assert.equal((await waitForState(engine.data, id, "succeeded")).state, "succeeded");
  await page.goto(`${engine.url}/runs/${id}?task=fit`);
  await page.getByRole("region", { name: "Task fit" }).getByText("on ui-box", { exact: true }).waitFor();
  await page.getByRole("button", { name: /^task report,/ }).click();
  await page.getByRole("region", { name: "Task report" }).getByText(`on ${host}`, { exact: true }).waitFor();

  // A run that stayed on the engine's machine: nothing said of where (once the page knows which machine is the engine's).
  const here = await apiStartRun(engine, "lab/tidy");
  assert.equal((await waitForState(engine.data, here, "succeeded")).state, "succeeded");
  const askedWorkers = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/v1/workers");
  await page.goto(`${engine.url}/runs/${here}?task=sweep`);
  await askedWorkers;
  const panel = page.getByRole("region", { name: "Task sweep" });
  await panel.getByText("succeeded").first().waitFor();
  await page.evaluate("new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)))");
  assert.equal(await panel.getByText(/^on /).count(), 0, await panel.innerText());

  // The worker stops (SIGTERM): once its lease (2 s) runs out, the page, open all along, shows it lost.
  await page.goto(`${engine.url}/engine`);
  await box.getByText("connected", { exact: true }).waitFor();
  await page.evaluate("window.__sameDocument = true");
  worker.kill("SIGTERM");
  const stopped = await workerExit;
  assert.equal(stopped.code, 0, stopped.stderr);
  await box.getByText("lost", { exact: true }).waitFor({ timeout: 15_000 });
  assert.equal(await page.evaluate("window.__sameDocument === true"), true, "lost without a reload");
  assert.match((await box.getByText("lost", { exact: true }).getAttribute("title")) ?? "", /nothing heard from it/);
  assert.equal(await cellText(local, "State"), "connected", "the engine's machine is still there");

  assertClean(ui);
  await browser.close();
  await stopEngine(engine);
});
