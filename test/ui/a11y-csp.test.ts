/**
 * Every page of the web UI, in a real Chromium on a real engine with runs:
 * axe-core finds no serious or critical violation, in light and dark; a
 * phone's width does not scroll the whole page sideways; and the strict
 * Content-Security-Policy holds (no inline script in index.html, no
 * violation reported while the pages are used).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { apiStartRun, pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";
import { assertClean, launchBrowser, newContext, openUi, scrollsSideways, seriousViolations, skipWithoutBrowser } from "../helpers/browser.js";

checkNoLeftoverProcesses();

const DEFINITIONS = `namespace: home
pipelines:
  backup:
    description: Copy the photos to the NAS, then check the copy
    triggers:
      - cron: "30 2 * * *"
    args:
      target: { default: nas, enum: [nas, usb] }
      note: { pattern: "^[a-z ]*$" }
    tasks:
      copy:
        run: echo copying
      verify:
        needs: [copy]
        run: '[ "$SPIRE_ARG_TARGET" = nas ] || { echo "::error::no usb disk" >&2; exit 1; }'
  a-pipeline-with-a-rather-long-name-that-could-push-a-phone-screen-sideways:
    description: Averyveryverylongwordwithoutanyspaceinsideitthatcouldpushthepagewiderthanaphonescreenifnothingwrapsit
    triggers:
      - cron: "*/5 * * * *"
      - every: 90m
    tasks:
      step:
        run: "true"
`;

/** The pages there are, by path (those still placeholders are checked too: their frame is real). */
const PAGES = ["/", "/pipelines/home/backup", "/runs", "/compare", "/engine"];

async function checkBothSchemes(page: Page, where: string, found: string[]): Promise<void> {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    for (const line of await seriousViolations(page)) found.push(`${where} (${colorScheme}): ${line}`);
  }
}

test("no serious accessibility violation on any page, light or dark; no sideways scroll at 375 px; the CSP holds", { skip: skipWithoutBrowser() }, async (t) => {
  const dir = tempDir(t);
  const engine = await startEngine(t, tempDir(t), ["-f", pipelineFile(dir, DEFINITIONS)]);
  const ok = await apiStartRun(engine, "home/backup");
  const failed = await apiStartRun(engine, "home/backup", { target: "usb" });
  assert.equal((await waitForState(engine.data, ok, "succeeded")).state, "succeeded");
  assert.equal((await waitForState(engine.data, failed, "failed")).state, "failed");

  // index.html as served: no script or style of its own, under a CSP that allows none.
  const index = await fetch(`${engine.url}/`);
  const html = await index.text();
  assert.match(index.headers.get("content-security-policy") ?? "", /script-src 'self'; style-src 'self'/);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length > 0);
  for (const [, attributes, body] of scripts) {
    assert.match(attributes!, /\bsrc="\/assets\/[^"]+\.js"/, "every script is a file");
    assert.equal(body!.trim(), "", "no inline script");
  }
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=|javascript:/i, "no inline style or handler");

  const browser = await launchBrowser(t);
  const violations: string[] = [];

  // The login page, logged out.
  const loggedOut = await newContext(browser);
  await loggedOut.page.goto(`${engine.url}/login`);
  await loggedOut.page.getByLabel("Paste an API token").waitFor();
  await checkBothSchemes(loggedOut.page, "/login", violations);
  await loggedOut.page.getByRole("button", { name: "Log in" }).click();
  await loggedOut.page.getByRole("alert").waitFor(); // with its error shown too
  await checkBothSchemes(loggedOut.page, "/login with an error", violations);

  // Every page, logged in.
  const ui = await openUi(browser, engine);
  const { page } = ui;
  for (const path of PAGES) {
    await page.goto(`${engine.url}${path}`);
    await page.locator("main h1").first().waitFor();
    if (path === "/") await page.locator(`a.sq[href="/runs/${failed}"]`).waitFor(); // with its runs' squares
    await checkBothSchemes(page, path, violations);
  }
  await page.goto(`${engine.url}/runs/${ok}`);
  await page.locator(`.run-view [role="button"][data-path="verify"]`).waitFor(); // its graph drawn
  await checkBothSchemes(page, "/runs/ID", violations);
  // The failed task's log, in the run page's log view.
  await page.goto(`${engine.url}/runs/${failed}?task=verify&tab=logs`);
  await page.getByText("no usb disk").first().waitFor();
  await checkBothSchemes(page, "/runs/ID?task=verify&tab=logs", violations);

  // The run dialog, with a field's error showing.
  await page.goto(`${engine.url}/`);
  await page.getByRole("button", { name: "Run home/backup…" }).click();
  const dialog = page.getByRole("dialog", { name: "Run home/backup" });
  await dialog.getByLabel("note", { exact: true }).fill("Not OK!");
  await dialog.getByRole("button", { name: "Start run" }).click();
  await dialog.locator("#arg-note-error").waitFor();
  await checkBothSchemes(page, "/ run dialog", violations);
  assert.deepEqual(violations, [], "axe-core: serious or critical violations");

  // A phone: nothing makes the whole page scroll sideways.
  const phone = await openUi(browser, engine, { viewport: { width: 375, height: 740 } });
  await phone.page.locator(`a.sq[href="/runs/${failed}"]`).waitFor();
  assert.equal(await scrollsSideways(phone.page), undefined, "the pipelines page at 375 px");
  await phone.page.getByRole("button", { name: "Run home/backup…" }).click();
  await phone.page.getByRole("dialog", { name: "Run home/backup" }).getByLabel("note", { exact: true }).waitFor();
  assert.equal(await scrollsSideways(phone.page), undefined, "the run dialog at 375 px");
  await loggedOut.page.setViewportSize({ width: 375, height: 740 });
  assert.equal(await scrollsSideways(loggedOut.page), undefined, "the login page at 375 px");

  // No CSP violation, nor any error, in all of that.
  for (const opened of [loggedOut, ui, phone]) assertClean(opened);

  // And the watch on violations does see one when there is one: an inline script, refused.
  await page.evaluate("document.head.append(Object.assign(document.createElement('script'), { textContent: 'window.__ran = true' }))");
  await waitUntil(() => ui.cspViolations.length > 0);
  assert.match(ui.cspViolations[0]!, /^script-src-elem blocked inline/);
  assert.equal(await page.evaluate("window.__ran === true"), false, "the inline script did not run");

  await browser.close();
  await stopEngine(engine);
});

/** For a report the browser sends through a binding, which has no event of its own here to await. */
async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
