/**
 * What a person does in the web UI, in a real Chromium against a real
 * engine: log in, start a run with arguments from the form built from the
 * pipeline's `args`, follow it to its end live, read its logs, retry it from
 * a task, cancel a running one; and a bad argument shown at its field with
 * nothing started.
 *
 * The run is followed on its own page (graph boxes and the run's state, live)
 * and on the pipelines page (its squares); its log is read in the run page's
 * log view. TODO(log viewer): once the real viewer (branch h-logs) replaces
 * the stub, also check a line number and a jump to the end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { apiGet, pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";
import { assertClean, launchBrowser, openUi, skipWithoutBrowser } from "../helpers/browser.js";
import type { Page } from "playwright-core";

checkNoLeftoverProcesses();

/** `report` waits for a file the test writes, so the test sees it running before it lets it end. */
function definitions(gate: string, sizes = "[small, large]"): string {
  return `namespace: home
pipelines:
  report:
    description: Build the weekly report for one team
    args:
      team: { default: ops, pattern: "^[a-z]+$" }
      size: { enum: ${sizes}, default: small }
    env: { GATE: ${JSON.stringify(gate)} }
    tasks:
      build:
        run: |
          echo "building the report for $SPIRE_ARG_TEAM ($SPIRE_ARG_SIZE)"
          while [ ! -e "$GATE" ]; do sleep 0.05; done
          echo "report built"
      publish:
        needs: [build]
        run: echo "published for $SPIRE_ARG_TEAM"
  slow:
    description: Waits until it is canceled
    tasks:
      wait:
        run: sleep 120
`;
}

interface RunBody {
  id: string;
  pipeline: string;
  state: string;
  args: Record<string, unknown>;
  trigger: Record<string, unknown>;
  tasks: { path: string; state: string; attempts: number; reason: string | null }[];
}

/** A run's square on the pipelines page once its label says `state` (the squares are links named "run …id state, when"). */
function square(page: Page, id: string, state: string) {
  return page.locator(`a.sq[href="/runs/${id}"][aria-label*=" ${state},"]`);
}

/** The "Last" fact of a pipeline's row. */
function lastState(page: Page, pipeline: string) {
  return page.locator(`article[aria-labelledby="p-${pipeline}"] dt:text-is("Last") + dd .state__label`);
}

/** The run page the run dialog (or a retry) went to; its id. */
async function onRunPage(page: Page, not?: string): Promise<string> {
  await page.waitForURL((url) => /^\/runs\/[^/]+$/.test(url.pathname) && url.pathname !== `/runs/${not}`);
  const id = decodeURIComponent(new URL(page.url()).pathname.split("/")[2]!);
  await page.getByText(id).first().waitFor(); // the placeholder echoes it; the run page shows it in its title
  return id;
}

/** Until the element with this id has the focus. */
async function focusOn(page: Page, id: string): Promise<void> {
  // A function, not a string: the page's CSP allows no eval.
  await page.waitForFunction((wanted) => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id === wanted, id, { timeout: 5_000 });
}

/** On the run page: the run's state badge, once it says `state`. */
function runState(page: Page, state: string) {
  return page.locator(".run-title .state__label", { hasText: new RegExp(`^${state}$`) });
}

/** On the run page: a task's box in the graph, once it is in `state`. */
function taskBox(page: Page, path: string, state: string) {
  return page.locator(`.run-view [role="button"][data-path="${path}"].state--${state}`);
}

test("log in, run with arguments, follow the run to its end live, read its logs, retry it from a task, cancel a running run", { skip: skipWithoutBrowser() }, async (t) => {
  const dir = tempDir(t);
  const gate = join(dir, "gate");
  const engine = await startEngine(t, tempDir(t), ["-f", pipelineFile(dir, definitions(gate))]);
  const browser = await launchBrowser(t);
  const ui = await openUi(browser, engine);
  const { page } = ui;

  // The run dialog is built from the pipeline's args: a text field for the pattern, a choice for the enum.
  await page.getByRole("button", { name: "Run home/report…" }).click();
  const dialog = page.getByRole("dialog", { name: "Run home/report" });
  // The dialog opens before the arguments come; once they are there, the first field has the focus (not the close button).
  await focusOn(page, "arg-team");
  await dialog.getByLabel("team", { exact: true }).fill("web");
  assert.equal(await dialog.getByLabel("size", { exact: true }).evaluate((element) => element.tagName), "SELECT");
  await dialog.getByLabel("size", { exact: true }).selectOption("large");
  await dialog.getByRole("button", { name: "Start run" }).click();

  // The new run's page; the run exists with the arguments given.
  const id = await onRunPage(page);
  const created = await apiGet<RunBody>(engine, `/runs/${id}`);
  assert.equal(created.pipeline, "report");
  assert.deepEqual(created.args, { team: "web", size: "large" });
  await page.evaluate("window.__sameDocument = true");

  // Followed live on its page: build running, then (the test opens the gate) every task and the run succeeded; build's log in the log viewer.
  await taskBox(page, "build", "running").waitFor();
  await runState(page, "running").waitFor();
  writeFileSync(gate, "");
  await taskBox(page, "publish", "succeeded").waitFor();
  await runState(page, "succeeded").waitFor();
  await page.locator('.run-view [role="button"][data-path="build"]').click();
  await page.getByRole("tab", { name: "Logs" }).click();
  await page.getByText("building the report for web (large)").first().waitFor();
  await page.getByText("report built").first().waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pipelines" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  await square(page, id, "succeeded").waitFor();
  assert.equal(await lastState(page, "home_report").textContent(), "succeeded");
  assert.equal(await page.evaluate("window.__sameDocument"), true, "updated in place, not reloaded");
  assert.equal((await apiGet<RunBody>(engine, `/runs/${id}`)).state, "succeeded");

  // Retry from a task, on the run's page: a new run of the same arguments, build kept from this one, publish run again.
  await page.locator(`a.sq[href="/runs/${id}"]`).click();
  await page.locator('.run-view [role="button"][data-path="publish"]').click();
  await page.getByRole("button", { name: "Retry from publish…" }).click();
  await page.getByRole("dialog", { name: "Retry home/report from publish" }).getByRole("button", { name: "Retry", exact: true }).click();
  const retryId = await onRunPage(page, id);
  await runState(page, "succeeded").waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pipelines" }).click();
  await square(page, retryId, "succeeded").waitFor();
  const retry = await apiGet<RunBody>(engine, `/runs/${retryId}`);
  assert.notEqual(retryId, id);
  assert.deepEqual(retry.trigger, { kind: "retry", scheduled_at: null, of: id, from: "publish" });
  assert.deepEqual(retry.args, { team: "web", size: "large" });
  assert.deepEqual(
  retry.tasks.map((task) => [task.path, task.state, task.reason]),
  [["build", "succeeded", `kept from run ${id}`], ["publish", "succeeded", null]],
  );

  // Cancel a running run: started from its dialog (no arguments), canceled from its page while it runs.
  await page.getByRole("button", { name: "Run home/slow…" }).click();
  const slowDialog = page.getByRole("dialog", { name: "Run home/slow" });
  await slowDialog.getByText("This pipeline takes no arguments.").waitFor();
  assert.equal(await slowDialog.getByRole("button", { name: "Start run" }).evaluate((element) => element === (element.ownerDocument as unknown as { activeElement: unknown }).activeElement), true, "no arguments: Start run has the focus");
  await slowDialog.getByRole("button", { name: "Start run" }).click();
  const slowId = await onRunPage(page);
  await taskBox(page, "wait", "running").waitFor();
  await page.getByRole("button", { name: "Cancel…" }).click();
  await page.getByRole("dialog", { name: "Cancel this run of home/slow" }).getByRole("button", { name: "Cancel run" }).click();
  await runState(page, "canceled").waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pipelines" }).click();
  await square(page, slowId, "canceled").waitFor();
  assert.equal(await lastState(page, "home_slow").textContent(), "canceled");
  assert.equal((await waitForState(engine.data, slowId, "canceled")).state, "canceled");

  // Paused with a reason: the row says who paused it, when and why; so does the API.
  await page.getByRole("button", { name: "Pause home/slow…" }).click();
  const pauseDialog = page.getByRole("dialog", { name: "Pause home/slow" });
  await pauseDialog.getByLabel("Why (optional)").fill("waiting for the new disk");
  assert.equal(await pauseDialog.getByRole("button", { name: /^Copy as CLI: / }).getAttribute("title"), "spire pause home/slow --reason 'waiting for the new disk'", "Copy as CLI says the same");
  await pauseDialog.getByRole("button", { name: "Pause", exact: true }).click();
  const paused = page.locator('article[aria-labelledby="p-home_slow"] .paused');
  await paused.getByText("waiting for the new disk").waitFor();
  assert.match((await paused.textContent()) ?? "", /^Paused by \S.* (just now|\d+ s ago|a moment ago).*: waiting for the new disk$/);
  const slowNow = (await apiGet<{ pipelines: { name: string; paused: boolean; paused_reason: string | null; paused_by: string | null }[] }>(engine, "/pipelines")).pipelines.find((entry) => entry.name === "slow")!;
  assert.deepEqual([slowNow.paused, slowNow.paused_reason], [true, "waiting for the new disk"]);
  assert.ok(slowNow.paused_by, "who paused it");

  // Live from the events alone: a run started elsewhere comes in as a square and ends there; the page asks the engine for no run.
  const asked = ui.requests.length;
  const elsewhere = await spire(["run", "report", "--detach", "--arg", "team=elsewhere"], { data: engine.data });
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
  await square(page, elsewhere.stdout.trim(), "succeeded").waitFor();
  assert.deepEqual(
    ui.requests.slice(asked).filter((request) => /\/api\/v1\/runs\b/.test(request)),
    [],
    "no GET /runs or /runs/{id}",
  );

  // The runs page: each row's warnings and errors come with the list, not from a GET /runs/{id} per row.
  const listed = ui.requests.length;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
  await page.locator(`.runs-table a[href="/runs/${id}"]`).waitFor();
  assert.equal(await page.locator(`.runs-table tr:has(a[href="/runs/${id}"]) td[data-label="Warnings, errors"]`).textContent(), "none");
  assert.deepEqual(
    ui.requests.slice(listed).filter((request) => /\/api\/v1\/runs\/[^/?]+(\?|$)/.test(request)),
    [],
    "no GET /runs/{id}",
  );

  assertClean(ui);
  await browser.close();
  await stopEngine(engine);
});

test("a bad argument is shown at its field and nothing is started: the form's own check, and the engine's 422", { skip: skipWithoutBrowser() }, async (t) => {
  const dir = tempDir(t);
  const gate = join(dir, "gate");
  writeFileSync(gate, "");
  const file = pipelineFile(dir, definitions(gate));
  const engine = await startEngine(t, tempDir(t), ["-f", file]);
  const browser = await launchBrowser(t);
  const ui = await openUi(browser, engine);
  const { page } = ui;
  const runsStarted = () => ui.requests.filter((request) => /^POST \S+\/pipelines\/home\/report\/runs$/.test(request)).length;

  // Against the pattern: caught in the browser, said at the field, focus moved there, nothing sent.
  await page.getByRole("button", { name: "Run home/report…" }).click();
  const dialog = page.getByRole("dialog", { name: "Run home/report" });
  const team = dialog.getByLabel("team", { exact: true });
  await team.fill("Web 1");
  await dialog.getByRole("button", { name: "Start run" }).click();
  const teamError = dialog.locator("#arg-team-error");
  await teamError.waitFor();
  assert.equal(await teamError.textContent(), "Must match /^[a-z]+$/.");
  assert.equal(await team.getAttribute("aria-invalid"), "true");
  assert.match((await team.getAttribute("aria-describedby")) ?? "", /\barg-team-error\b/, "the error is read with the field");
  assert.equal(await team.evaluate((element) => element === (element.ownerDocument as unknown as { activeElement: unknown }).activeElement), true, "focus is on the field");
  assert.equal(runsStarted(), 0, "nothing was sent");

  // The definitions change while the form is open (the enum loses "large"): the form still offers it, the engine refuses with 422, shown at the size field.
  const applied = await spire(["apply", "-f", pipelineFile(dir, definitions(gate, "[small, medium]"))], { data: engine.data });
  assert.equal(applied.code, 0, applied.stderr);
  await team.fill("web");
  await dialog.getByLabel("size", { exact: true }).selectOption("large");
  const refused = page.waitForResponse((response) => response.url().endsWith("/pipelines/home/report/runs") && response.request().method() === "POST");
  await dialog.getByRole("button", { name: "Start run" }).click();
  const answer = await refused;
  assert.equal(answer.status(), 422);
  const apiError = ((await answer.json()) as { error: { code: string; details: string[] } }).error;
  assert.equal(apiError.code, "invalid_args");
  const sizeError = dialog.locator("#arg-size-error");
  await sizeError.waitFor();
  assert.equal(await sizeError.textContent(), apiError.details.find((line) => line.includes('"size"')), "the engine's own words, at the field");
  assert.match((await sizeError.textContent()) ?? "", /must be one of: small, medium/);
  assert.equal(await dialog.locator("#arg-team-error").count(), 0, "the corrected field has no complaint left");
  assert.equal(new URL(page.url()).pathname, "/", "still on the pipelines page, the dialog open");
  assert.equal(await dialog.isVisible(), true);

  // Nothing started, in the engine either.
  assert.equal((await apiGet<{ runs: unknown[] }>(engine, "/runs?pipeline=report")).runs.length, 0);
  assertClean(ui);
  await browser.close();
  await stopEngine(engine);
});
