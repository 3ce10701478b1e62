/**
 * Screenshots of the web UI for docs/ui/: a real engine with a handful of
 * pipelines (schedules, arguments, a paused one) and a few dozen runs, some
 * failed, in a real Chromium at 1280×800 in the light theme, the pipelines
 * page also in dark and at a phone's width. Pages still placeholders on this
 * build are skipped (and said so), so running it again once more pages have
 * landed takes them too.
 *
 *   npm run build && node dist/bench/ui/screenshots.js [out-dir, default docs/ui]
 *
 * LOOK at every picture before committing it.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { launchChromium } from "../../test/helpers/browser.js";
import { REPO_ROOT } from "../lib.js";
import { isPlaceholder, logIn, startBenchEngine, waitForRunsToEnd, type BenchEngine } from "./engine.js";

const OUT = resolve(process.argv[2] ?? join(REPO_ROOT, "docs", "ui"));

const DEFINITIONS = `namespace: home
pipelines:
  backup:
    description: Snapshot the home folders, upload them to the NAS, check the copy
    triggers:
      - cron: "30 2 * * *"
    args:
      target: { default: nas, enum: [nas, usb], description: Where the copy goes }
      keep: { type: integer, default: 14, description: Days of snapshots to keep }
    tasks:
      snapshot:
        run: echo "snapshot of /home taken"
      upload:
        needs: [snapshot]
        group:
          photos:
            run: echo "::progress::photos 1/1"
          documents:
            run: echo "::progress::documents 1/1"
      verify:
        needs: [upload]
        run: '[ "$SPIRE_ARG_TARGET" = nas ] || { echo "::error::no USB disk mounted at /media/backup" >&2; exit 1; }'
  photos-sync:
    description: Pull new photos from the phone share and index them
    triggers:
      - every: 15m
        align: true
    tasks:
      fetch:
        run: echo "12 new photos"
      index:
        needs: [fetch]
        run: echo "::metric::photos=12"
  certs:
    description: Warn two weeks before a TLS certificate expires
    triggers:
      - cron: "0 7 * * 1"
    args:
      domain: { default: example.org, pattern: "^[a-z0-9.-]+$" }
    tasks:
      check:
        run: '[ "$SPIRE_ARG_DOMAIN" != expired.example.org ] || { echo "::error::certificate for $SPIRE_ARG_DOMAIN expires in 3 days" >&2; exit 1; }'
  thermostat-log:
    description: Read the thermostat and keep the figures
    triggers:
      - every: 5m
    tasks:
      read:
        run: echo "::metric::celsius=20.5"
`;

const WORK = `namespace: work
pipelines:
  weekly-report:
    description: Gather the week's numbers per team and mail the report
    triggers:
      - cron: "0 8 * * 1-5"
    args:
      team: { default: ops, pattern: "^[a-z]+$", description: The team the report is for }
      format: { default: pdf, enum: [pdf, html] }
    tasks:
      gather:
        group:
          sales:
            run: echo "sales 1,204"
          support:
            run: echo "support 87 tickets"
      write:
        needs: [gather]
        run: '[ "$SPIRE_ARG_TEAM" != legal ] || { echo "::error::no template for team legal" >&2; exit 1; }'
      mail:
        needs: [write]
        run: echo "mailed to $SPIRE_ARG_TEAM@example.org"
  db-vacuum:
    description: Vacuum and analyze the reporting database
    triggers:
      - cron: "0 3 1 * *"
    tasks:
      vacuum:
        run: echo "VACUUM ANALYZE done"
  deploy-docs:
    description: Build the docs site and publish it
    triggers:
      - webhook: true
    tasks:
      build:
        run: echo "built 214 pages"
      publish:
        needs: [build]
        run: echo published
`;

/** Runs by hand: [namespace, pipeline, args], in order; a few fail on purpose (usb, legal, expired). */
const RUNS: [string, string, Record<string, string>][] = [];
for (let index = 0; index < 8; index++) RUNS.push(["home", "backup", index === 5 ? { target: "usb" } : {}]);
for (let index = 0; index < 12; index++) RUNS.push(["home", "photos-sync", {}]);
for (let index = 0; index < 4; index++) RUNS.push(["home", "certs", index === 2 ? { domain: "expired.example.org" } : {}]);
for (let index = 0; index < 10; index++) RUNS.push(["work", "weekly-report", index === 3 || index === 7 ? { team: "legal" } : { team: ["ops", "sales", "support"][index % 3]! }]);
for (let index = 0; index < 3; index++) RUNS.push(["work", "deploy-docs", {}]);
RUNS.push(["home", "thermostat-log", {}]);

async function seed(engine: BenchEngine): Promise<void> {
  await engine.api("POST", "/apply", { text: WORK, file_name: "work.yaml" });
  // Started one after the other (the squares are in order of creation), run as the engine's parallelism allows;
  // a pipeline runs one at a time and queues 10 more, so the 12th of one pipeline waits for room first.
  for (const [namespace, name, args] of RUNS) {
    const queued = await engine.api<{ runs: unknown[] }>("GET", `/runs?namespace=${namespace}&pipeline=${name}&status=queued`);
    if (queued.runs.length >= 9) await waitForRunsToEnd(engine);
    await engine.api("POST", `/pipelines/${namespace}/${name}/runs`, { args }, 201);
  }
  await waitForRunsToEnd(engine);
  await engine.api("POST", "/pipelines/work/db-vacuum/pause", undefined, 200);
}

/** Nothing in view still loading: the page's own "Loading…" and the rows' run squares (fetched when a row comes into view). */
function settled(): boolean {
  // Runs in the page (this tsconfig has no DOM types); a function, not a string: the page's CSP allows no eval.
  const page = globalThis as unknown as { innerHeight: number; document: { querySelectorAll(selector: string): Iterable<{ getBoundingClientRect(): { top: number; bottom: number } }> } };
  return ![...page.document.querySelectorAll("main .loading, main [aria-busy=true], .squares--loading")].some((element) => {
    const box = element.getBoundingClientRect();
    return box.bottom > 0 && box.top < page.innerHeight;
  });
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.waitForFunction(settled);
  await page.evaluate("document.fonts.ready");
  const file = join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`wrote ${file}`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const engine = await startBenchEngine(DEFINITIONS);
  const browser = await launchChromium();
  try {
    await seed(engine);
    const runs = await engine.api<{ runs: { id: string; state: string; pipeline: string }[] }>("GET", "/runs?limit=100");
    const failed = runs.runs.find((run) => run.state === "failed" && run.pipeline === "backup")!;

    // The login page, logged out.
    const { page: loginPage } = await logIn(browser, engine);
    await loginPage.context().clearCookies();
    await loginPage.goto(`${engine.url}/login`);
    await loginPage.getByLabel("Paste an API token").waitFor();
    await shoot(loginPage, "login");

    for (const colorScheme of ["light", "dark"] as const) {
      const { page } = await logIn(browser, engine, { colorScheme });
      await page.locator(`a.sq[href="/runs/${failed.id}"]`).waitFor();
      await shoot(page, colorScheme === "light" ? "pipelines" : "pipelines-dark");
      if (colorScheme === "dark") continue;
      await page.getByRole("button", { name: "Run work/weekly-report…" }).click();
      const dialog = page.getByRole("dialog", { name: "Run work/weekly-report" });
      await dialog.getByLabel("team", { exact: true }).fill("Sales team");
      await dialog.getByRole("button", { name: "Start run" }).click();
      await dialog.locator("#arg-team-error").waitFor();
      await shoot(page, "run-dialog");
      await dialog.getByRole("button", { name: "Cancel" }).click();

      // Every other page, when it is built.
      const pages: [string, string][] = [
        ["pipeline", "/pipelines/home/backup"],
        ["runs", "/runs"],
        ["run", `/runs/${failed.id}`],
        ["compare", `/compare?a=${runs.runs[1]!.id}&b=${failed.id}`],
        ["engine", "/engine"],
      ];
      for (const [name, path] of pages) {
        await page.goto(`${engine.url}${path}`);
        await page.locator("main h1").first().waitFor();
        if (await isPlaceholder(page)) console.log(`skipped ${name}: still a placeholder on this build`);
        else await shoot(page, name);
      }
    }

    const { page: phone } = await logIn(browser, engine, { viewport: { width: 375, height: 800 } });
    await phone.locator(`a.sq[href="/runs/${failed.id}"]`).waitFor();
    await shoot(phone, "pipelines-phone");
  } finally {
    await browser.close();
    await engine.stop();
  }
}

await main();
