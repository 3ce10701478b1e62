/**
 * Tables that a phone shows as stacked cards (the runs page, the engine
 * page, the comparison of two runs), in a real Chromium on a real engine:
 * at a phone's 390×844 its accessibility tree, which a screen reader reads,
 * holds the same tables, rows, headers and cells, with the same names, as
 * at a laptop's 1280×800. So a cell's name is what it holds, not the label
 * its card shows before it (the column header says that already). And
 * every part of those tables says its role in the markup, for a browser
 * whose tree follows the layout, which the cards change (Safari).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { apiStartRun, pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";
import { assertClean, launchBrowser, openUi, skipWithoutBrowser } from "../helpers/browser.js";
import { tablesAsHeard, type HeardTable } from "../helpers/ax-tables.js";

checkNoLeftoverProcesses();

// A lock, for the engine page's table of locks.
const DEFINITIONS = `namespace: home
locks: { db: 1 }
pipelines:
  backup:
    locks: [db]
    args:
      target: { default: nas, enum: [nas, usb] }
    tasks:
      copy:
        run: echo copying
      verify:
        needs: [copy]
        run: '[ "$SPIRE_ARG_TARGET" = nas ] || { echo "::error::no usb disk" >&2; exit 1; }'
`;

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** The tables laid out as cards on a phone (styles/runs.css). */
const CARD_TABLES = ":is(.runs-table, .data-table.stack-table)";

/** Each table read as a header row of column headers, then body rows of as many cells, at least one. */
function assertWellFormed(tables: HeardTable[], where: string): void {
  for (const table of tables) {
    const [head, ...body] = table.rows;
    const what = `${where}: the table ${JSON.stringify(table.name || head?.[0])}`;
    assert.ok(head && head.length > 1 && head.every((entry) => entry.startsWith("columnheader: ")), `${what}: a row of column headers first (${JSON.stringify(head)})`);
    assert.ok(body.length > 0, `${what}: rows under the headers`);
    for (const row of body) {
      assert.equal(row.length, head.length, `${what}: a cell for each column in ${JSON.stringify(row)}`);
      assert.ok(row.every((entry) => /^(cell|rowheader): /.test(entry)), `${what}: cells and row headers in ${JSON.stringify(row)}`);
    }
  }
}

/** The first column's header of each table: which tables a page has. */
function firstColumns(tables: HeardTable[]): string[] {
  return tables.map((table) => table.rows[0]?.[0] ?? "(no row)");
}

/** Every card table's rows are laid out as cards at this width (so the phone's styles are what is being read). */
async function rowDisplays(page: Page): Promise<string[]> {
  return page.locator(`${CARD_TABLES} > tbody > tr`).evaluateAll((rows) => {
    const view = globalThis as unknown as { getComputedStyle(element: unknown): { display: string } };
    return [...new Set(rows.map((row) => view.getComputedStyle(row).display))];
  });
}

test("tables shown as cards on a phone are the same tables, rows and cells to a screen reader as on a laptop", { skip: skipWithoutBrowser() }, async (t) => {
  const dir = tempDir(t);
  const engine = await startEngine(t, tempDir(t), ["-f", pipelineFile(dir, DEFINITIONS)]);
  const ok = await apiStartRun(engine, "home/backup");
  const failed = await apiStartRun(engine, "home/backup", { target: "usb" });
  assert.equal((await waitForState(engine.data, ok, "succeeded")).state, "succeeded");
  assert.equal((await waitForState(engine.data, failed, "failed")).state, "failed");

  const browser = await launchBrowser(t);
  const ui = await openUi(browser, engine, { viewport: LAPTOP });
  const { page } = ui;
  // "just now" must not turn into "10 s ago" between the two widths: the page's clock stands still (its timers still run).
  await page.clock.setFixedTime(Date.now() + 60 * 60_000);

  const pages: { path: string; ready: () => Promise<unknown>; tables: string[]; also?: (phone: HeardTable[]) => void }[] = [
    {
      path: "/runs",
      ready: () => page.locator(".runs-table tbody tr").nth(1).waitFor(),
      tables: ["columnheader: Compare"],
      also: ([runs]) => {
        // Named by its caption; a run's state heard in its cell as on a laptop, not as "State failed".
        assert.equal(runs?.name, "Runs, newest first");
        assert.deepEqual(runs?.rows.map((row) => row[1]), ["columnheader: State", "cell: failed", "cell: succeeded"]);
      },
    },
    {
      path: "/engine",
      ready: async () => {
        for (const section of ["engine", "workers", "namespaces", "tokens", "sessions", "audit"]) await page.locator(`#${section} tbody tr`).first().waitFor();
        // The audit log read to its end (no "so far"): no row comes in between the two widths.
        await page.locator("#audit [role=status]").getByText(/entries$/).waitFor();
      },
      tables: ["columnheader: Lock", "columnheader: Name", "columnheader: Namespace", "columnheader: Name", "columnheader: Session", "columnheader: When"],
      // Each table is named by its section's heading.
      also: (phone) => assert.deepEqual(phone.map((table) => table.name), ["Locks", "The machines that run tasks", "Namespaces", "API tokens", "Browser sessions", "Audit log"]),
    },
    {
      path: `/compare?a=${ok}&b=${failed}`,
      ready: () => page.locator(".compare-table tbody tr").nth(1).waitFor(),
      // The arguments that differ (a table that stays one on a phone), then the tasks.
      tables: ["columnheader: Argument", "columnheader: Task"],
    },
  ];

  for (const { path, ready, tables, also } of pages) {
    await page.setViewportSize(LAPTOP);
    await page.goto(`${engine.url}${path}`);
    await ready();
    assert.deepEqual(await rowDisplays(page), ["table-row"], `${path}: rows as rows at 1280 px`);
    const laptop = await tablesAsHeard(page);
    assertWellFormed(laptop, `${path} at 1280 px`);
    assert.deepEqual(firstColumns(laptop), tables, `${path}: its tables at 1280 px`);

    await page.setViewportSize(PHONE);
    assert.ok(!(await rowDisplays(page)).includes("table-row"), `${path}: rows as cards at 390 px`);
    const phone = await tablesAsHeard(page);
    assert.deepEqual(phone, laptop, `${path}: the tables at 390 px as at 1280 px`);
    also?.(phone);

    // Chromium keeps a table's parts whatever their display; a browser that follows the layout needs the roles written out.
    const bare = page.locator(`${CARD_TABLES}:not([role]), ${CARD_TABLES} :is(thead, tbody, tr, th, td):not([role])`);
    assert.equal(await bare.count(), 0, `${path}: card tables' parts without an explicit role: ${(await bare.evaluateAll((parts) => parts.slice(0, 5).map((part) => (part as { outerHTML: string }).outerHTML.slice(0, 60)))).join(" · ")}`);
  }
  assertClean(ui);
  await browser.close();
  await stopEngine(engine);
});
