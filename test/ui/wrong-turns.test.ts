/**
 * A new user's wrong turns in the web UI, in a real Chromium against a real
 * engine: a run link that names no run, a page opened while the engine is
 * away. Each ends on a page that says what happened and where to go, not on
 * the API's words or an instruction the page could carry out itself. And a
 * hint is read with the fields it is about: the runs page's dates.
 */
import { test, type TestContext } from "node:test";
import type { Browser, Page } from "playwright-core";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { pipelineFile, startEngine, stopEngine, type RunningEngine } from "../helpers/engine.js";
import { assertClean, launchBrowser, openUi, skipWithoutBrowser, type UiPage } from "../helpers/browser.js";

checkNoLeftoverProcesses();

const DEFINITIONS = `namespace: home
pipelines:
  backup:
    tasks:
      copy:
        run: echo copied
`;

/** An engine with DEFINITIONS and a browser logged in to it. */
async function uiOfBackup(t: TestContext): Promise<{ engine: RunningEngine; browser: Browser; ui: UiPage; page: Page }> {
  const engine = await startEngine(t, tempDir(t), ["-f", pipelineFile(tempDir(t), DEFINITIONS)]);
  const browser = await launchBrowser(t);
  const ui = await openUi(browser, engine);
  return { engine, browser, ui, page: ui.page };
}

test("a run link that names no run says so in words, with the way to the runs page, not the API's message", { skip: skipWithoutBrowser() }, async (t) => {
  const { engine, browser, ui, page } = await uiOfBackup(t);

  await page.goto(new URL("/runs/01m0nosuchrun000", engine.url).href);
  const main = page.locator("main");
  await main.getByText("The engine has no run 01m0nosuchrun000").waitFor({ timeout: 10_000 });
  assert.doesNotMatch(await main.innerText(), /no run with id/, "the API's own words are not the page's");
  const runsLink = main.getByRole("link", { name: "runs page" });
  assert.equal(await runsLink.getAttribute("href"), "/runs");
  await runsLink.click();
  await page.waitForURL((url) => url.pathname === "/runs");
  await page.locator("main h1", { hasText: "Runs" }).waitFor();

  assertClean(ui);
  await browser.close();
  await stopEngine(engine);
});

test("a page first opened while the engine is away loads by itself once the engine is back, without a reload", { skip: skipWithoutBrowser() }, async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(tempDir(t), DEFINITIONS);
  const engine = await startEngine(t, data, ["-f", file]);
  const browser = await launchBrowser(t);
  const ui = await openUi(browser, engine);
  const { page } = ui;
  await page.evaluate("window.__sameDocument = true");

  await stopEngine(engine);
  await page.getByRole("alert").filter({ hasText: "The engine is not answering" }).waitFor();
  // The runs page's code was never loaded: it cannot be while the engine is away.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
  await page.getByRole("alert").filter({ hasText: "This page could not be loaded" }).waitFor();

  const again = await startEngine(t, data, ["-f", file, "--listen", `127.0.0.1:${new URL(engine.url).port}`]);
  await page.locator("main h1", { hasText: "Runs" }).waitFor({ timeout: 20_000 }); // the stream retries with backoff: 1 s, 2 s, 4 s…
  assert.equal(await page.getByText("This page could not be loaded").count(), 0);
  assert.equal(await page.evaluate("window.__sameDocument"), true, "not reloaded");

  assertClean(ui);
  await browser.close();
  await stopEngine(again);
});

test("the sessions table names each session as the header, a run's trigger and the audit log do, so the one that started a run can be found and ended", { skip: skipWithoutBrowser() }, async (t) => {
  const { engine, browser, ui, page } = await uiOfBackup(t);

  const other = await openUi(browser, engine); // a second browser session
  const otherName = (await other.page.locator(".session__name").innerText()).trim();
  const name = (await page.locator(".session__name").innerText()).trim();
  assert.match(name, /^session \w+ of local$/);
  await page.goto(new URL("/engine#sessions", engine.url).href);
  const rows = page.getByRole("table", { name: "Browser sessions" }).getByRole("row");
  const mine = rows.filter({ hasText: "this browser" });
  await mine.waitFor();
  assert.match(await mine.innerText(), new RegExp(name));
  await rows.filter({ hasText: otherName }).getByRole("button", { name: `End ${otherName}…` }).click();
  assert.match(await page.getByRole("dialog").innerText(), new RegExp(`End ${otherName}`), "the dialog names the session it ends");

  assertClean(ui);
  await browser.close();
  await stopEngine(engine);
});

test("the runs page's hint about days sits under its From and To fields, not under the pipeline field", { skip: skipWithoutBrowser() }, async (t) => {
  const { engine, browser, ui, page } = await uiOfBackup(t);
  await page.goto(new URL("/runs", engine.url).href);
  const hint = page.locator("#runs-dates-hint");
  await hint.waitFor();
  const box = async (selector: string) => (await page.locator(selector).boundingBox())!;
  const [hinted, from, to, pipeline] = [await box("#runs-dates-hint"), await box("#runs-from"), await box("#runs-to"), await box("#runs-pipeline")];
  assert.ok(hinted.y >= from.y + from.height, "below the date fields");
  assert.ok(hinted.x >= from.x - 1 && hinted.x < to.x + to.width, `it starts under From (hint at x ${hinted.x}, From at ${from.x})`);
  assert.ok(hinted.x > pipeline.x + pipeline.width, "not under the pipeline field");
  assert.ok(Math.abs(from.y + from.height - (pipeline.y + pipeline.height)) <= 4, "the date fields still line up with the others");
  assertClean(ui);
  await browser.close();
  await stopEngine(engine);
});
