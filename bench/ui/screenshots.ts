/**
 * Screenshots of the web UI for docs/ui/: a real engine with the pipelines a
 * person might keep at home and at work (schedules, arguments, a group, a
 * webhook, one paused with its reason, one that missed slots while it was
 * paused) and a few dozen runs, some failed, in a real Chromium at 1280×800
 * in the light theme: every page, the pipelines page also in dark and at a
 * phone's width.
 *
 *   npm run build && node dist/bench/ui/screenshots.js [out-dir, default docs/ui]
 *
 * It takes about two minutes: one pipeline is paused for a minute so that
 * slots of its trigger pass (and are recorded as missed). LOOK at every
 * picture before committing it.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Locator, Page } from "playwright-core";
import { launchChromium } from "../../test/helpers/browser.js";
import { REPO_ROOT } from "../lib.js";
import { logIn, startBenchEngine, waitForRunsToEnd, type BenchEngine } from "./engine.js";

const OUT = resolve(process.argv[2] ?? join(REPO_ROOT, "docs", "ui"));

/** Some tenths of a second, different from run to run: durations that vary as real ones do. */
const SOME_TIME = "sleep 0.$(date +%N | cut -c1)";

const DEFINITIONS = `namespace: home
pipelines:
  backup:
    description: Snapshot the home folders, upload them to the NAS, check the copy
    triggers:
      - cron: "30 2 * * *"
    args:
      target: { default: nas, enum: [nas, usb], description: Where the copy goes }
      keep: { type: integer, default: 14, description: Days of snapshots to keep }
    # A stand-in: each step waits a moment and says what it would have done.
    tasks:
      snapshot:
        run: |
          ${SOME_TIME}
          echo "snapshot of /home taken (3.2 GiB)"
      upload:
        needs: [snapshot]
        group:
          photos:
            run: |
              ${SOME_TIME}
              echo "::progress::1204/1204"
              echo "photos: 1,204 files, 2.1 GiB"
          documents:
            run: |
              ${SOME_TIME}
              echo "documents: 5,310 files, 0.9 GiB"
      verify:
        needs: [upload]
        run: |
          printf '\\033[1mverifying the copy on %s\\033[0m\\n' "$SPIRE_ARG_TARGET"
          for part in photos/2024:3120 photos/2025:2877 photos/2026:1204 documents/bank:412 documents/health:96 documents/taxes:230 music:8841 notes:1532; do
            printf '  %-18s \\033[32mchecksums OK\\033[0m  \\033[2m%s files\\033[0m\\n' "\${part%%:*}" "\${part#*:}"
          done
          if [ "$SPIRE_ARG_TARGET" != nas ]; then
            printf '  %-18s \\033[1;31mFAILED\\033[0m  /media/backup is not a mount point\\n' "target"
            echo "::warning::the last good copy on usb is 9 days old"
            echo "::error::no USB disk mounted at /media/backup" >&2
            exit 1
          fi
          echo "kept the last $SPIRE_ARG_KEEP days of snapshots"
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
  sensors:
    description: Read the thermostat and the air sensor, keep the figures
    triggers:
      - every: 30s
    tasks:
      thermostat:
        run: echo "::metric::celsius=20.5"
      air:
        run: echo "::metric::co2_ppm=640"
      store:
        needs: [thermostat, air]
        run: echo "stored 2 readings"
`;

const WORK = `namespace: work
pipelines:
  weekly-report:
    description: Gather the week's numbers per team and mail the report
    triggers:
      - cron: "0 8 * * 1-5"
        timezone: Europe/Berlin
    args:
      team: { default: ops, pattern: "^[a-z]+$", description: The team the report is for }
      format: { default: pdf, enum: [pdf, html] }
    tasks:
      gather:
        group:
          sales:
            run: |
              ${SOME_TIME}
              echo "sales 1,204"
          support:
            run: |
              ${SOME_TIME}
              echo "support 87 tickets"
      write:
        needs: [gather]
        run: |
          echo "template: $SPIRE_ARG_TEAM.md"
          [ "$SPIRE_ARG_TEAM" != legal ] || { echo "::error::no template for team legal" >&2; exit 1; }
          echo "wrote report-$SPIRE_ARG_TEAM.$SPIRE_ARG_FORMAT"
      mail:
        needs: [write]
        run: echo "mailed to $SPIRE_ARG_TEAM@example.org"
  db-vacuum:
    description: Vacuum and analyze the reporting database
    triggers:
      - cron: "0 3 1 * *"
        timezone: Europe/Berlin
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
for (let index = 0; index < 2; index++) RUNS.push(["work", "db-vacuum", {}]);

/** How long `sensors` stays paused: two of its 30-second slots pass meanwhile. */
const PAUSED_MS = 65_000;

async function seed(engine: BenchEngine): Promise<void> {
  await engine.api("POST", "/apply", { text: WORK, file_name: "work.yaml" });
  const pauseStarted = Date.now();
  // Paused at once: the slots that pass until it is resumed are recorded as missed, with the reason.
  await engine.api("POST", "/pipelines/home/sensors/pause", { reason: "the air sensor is being recalibrated" }, 200);
  // Started one after the other (the squares are in order of creation), run as the engine's parallelism allows;
  // a pipeline runs one at a time and queues 10 more, so the 12th of one pipeline waits for room first.
  for (const [namespace, name, args] of RUNS) {
    const queued = await engine.api<{ runs: unknown[] }>("GET", `/runs?namespace=${namespace}&pipeline=${name}&status=queued`);
    if (queued.runs.length >= 9) await waitForRunsToEnd(engine);
    await engine.api("POST", `/pipelines/${namespace}/${name}/runs`, { args }, 201);
  }
  await waitForRunsToEnd(engine);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, pauseStarted + PAUSED_MS - Date.now())));
  await engine.api("POST", "/pipelines/home/sensors/resume", undefined, 200);
  await engine.api("POST", "/pipelines/home/photos-sync/pause", { reason: "the phone share moves to the new NAS" }, 200);
  // Its next slot's run, so its history has columns of its own, and a run of it by hand.
  await engine.api("POST", "/pipelines/home/sensors/runs", {}, 201);
  await waitForRunsToEnd(engine);
}

/** Nothing in view still loading: the pages' own "Loading…", busy regions, run squares not filled yet. */
function settled(): boolean {
  // Runs in the page (this tsconfig has no DOM types); a function, not a string: the page's CSP allows no eval.
  const page = globalThis as unknown as { innerHeight: number; document: { querySelectorAll(selector: string): Iterable<{ getBoundingClientRect(): { top: number; bottom: number } }> } };
  return ![...page.document.querySelectorAll("main .loading, main [aria-busy=true], .squares--loading")].some((element) => {
    const box = element.getBoundingClientRect();
    return box.bottom > 0 && box.top < page.innerHeight;
  });
}

/** The page (or, with `fullPage`, all of it; or one part of it) once nothing in view is loading. */
async function shoot(page: Page, name: string, options: { fullPage?: boolean; part?: Locator } = {}): Promise<void> {
  await page.waitForFunction(settled);
  await page.evaluate("document.fonts.ready");
  // The pointer out of the way: no hover outline or tooltip in the picture.
  await page.mouse.move(0, 0);
  const file = join(OUT, `${name}.png`);
  if (options.part) await options.part.screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: options.fullPage ?? false });
  console.log(`wrote ${file}`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const engine = await startBenchEngine(DEFINITIONS);
  const browser = await launchChromium();
  try {
    await seed(engine);
    const runs = (await engine.api<{ runs: { id: string; state: string; pipeline: string }[] }>("GET", "/runs?limit=200")).runs;
    const failedBackup = runs.find((run) => run.state === "failed" && run.pipeline === "backup")!;
    const reports = runs.filter((run) => run.pipeline === "weekly-report");
    const failedReport = reports.find((run) => run.state === "failed")!;
    const goodReport = reports.find((run) => run.state === "succeeded" && reports.indexOf(run) > reports.indexOf(failedReport))!;

    // The login page, logged out.
    const { page: loginPage } = await logIn(browser, engine);
    await loginPage.context().clearCookies();
    await loginPage.goto(`${engine.url}/login`);
    await loginPage.getByLabel("Paste an API token").waitFor();
    await shoot(loginPage, "login");

    for (const colorScheme of ["light", "dark"] as const) {
      const { page } = await logIn(browser, engine, { colorScheme });
      await page.locator(`a.sq[href="/runs/${failedBackup.id}"]`).waitFor();
      await shoot(page, colorScheme === "light" ? "pipelines" : "pipelines-dark");
      if (colorScheme === "dark") continue;

      // "Run…": the form from the pipeline's args, a value refused at its field.
      await page.getByRole("button", { name: "Run work/weekly-report…" }).click();
      const dialog = page.getByRole("dialog", { name: "Run work/weekly-report" });
      await dialog.getByLabel("team", { exact: true }).fill("Sales team");
      await dialog.getByRole("button", { name: "Start run" }).click();
      await dialog.locator("#arg-team-error").waitFor();
      await shoot(page, "run-dialog");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      // "Pause…" asks why; the list then says who paused it, when and why.
      await page.getByRole("button", { name: "Pause work/db-vacuum…" }).click();
      const pause = page.getByRole("dialog", { name: "Pause work/db-vacuum" });
      await pause.getByLabel("Why (optional)").fill("the reporting database moves to the new server on Monday");
      await shoot(page, "pause-dialog");
      await pause.getByRole("button", { name: "Cancel" }).click();

      // A pipeline: its graph, history grid, durations, next fire times; all of the page.
      await page.goto(`${engine.url}/pipelines/home/backup`);
      await page.locator(".history-grid").waitFor();
      await shoot(page, "pipeline", { fullPage: true });
      // The slots one missed while it was paused, beside its next fire times.
      await page.goto(`${engine.url}/pipelines/home/sensors`);
      await page.locator(".missed__item").first().waitFor();
      await shoot(page, "pipeline-missed", { part: page.locator(".pipeline-page__pair").first() });

      // A failed run: its graph, the failed task's log in colour; then the timeline.
      await page.goto(`${engine.url}/runs/${failedBackup.id}?task=verify&tab=logs`);
      await page.getByText("checksums OK").first().waitFor();
      await shoot(page, "run", { fullPage: true });
      await page.goto(`${engine.url}/runs/${failedBackup.id}?view=timeline&task=verify`);
      await page.locator(".timeline-summary").waitFor();
      await shoot(page, "run-timeline", { fullPage: true });

      await page.goto(`${engine.url}/runs`);
      await page.locator(".runs-table tbody tr").first().waitFor();
      await shoot(page, "runs");

      await page.goto(`${engine.url}/compare?a=${failedReport.id}&b=${goodReport.id}`);
      await page.locator("main h1").first().waitFor();
      await shoot(page, "compare", { fullPage: true });

      await page.goto(`${engine.url}/engine`);
      await page.locator("main h1").first().waitFor();
      await shoot(page, "engine");
    }

    const { page: phone } = await logIn(browser, engine, { viewport: { width: 375, height: 800 } });
    await phone.locator(`a.sq[href="/runs/${failedBackup.id}"]`).waitFor();
    await shoot(phone, "pipelines-phone");
  } finally {
    await browser.close();
    await engine.stop();
  }
}

await main();
