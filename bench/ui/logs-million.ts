/**
 * bench/ui/logs-million: the log viewer with a 1,000,000-line task log, in
 * Debian's Chromium (playwright-core) against a real `spire engine`.
 * Issue 14's budget: first screen and jump to the end each ≤ 300 ms, and no
 * main-thread task over 100 ms while scrolling.
 *
 * A task prints 1,000,000 lines (every 10th in colour: 16, 256 and 24-bit;
 * every 100th on stderr). Measured, each on a fresh page load:
 *   - first screen: from navigation start to the frame after the first line's text is in the page;
 *   - jump to the end: from the End key to the frame after line 1,000,000's text is in the page;
 *   - scrolling: wheel, a scrollbar drag from the top to the middle (scrollTop set every frame),
 *     PageDown; the longest main-thread task (PerformanceObserver "longtask": only tasks
 *     over 50 ms are reported), the longest gap between frames, and the share of frames
 *     that showed a row still waiting for its text;
 *   - search: a word on 10,000 lines, read through the whole log: time to the count;
 *   - live: the same task printing while the viewer follows it (the run's SSE with ?logs=new,
 *     which the viewer trades for reading the log every 250 ms past 300 lines a second).
 *
 *   npm run build && node dist/bench/ui/logs-million.js [--lines 1000000] [--loads 5]
 *     [--path '/runs/{run}?task=print'] [--chromium /usr/bin/chromium] [--keep]
 *
 * --path is where the viewer shows the task's log ({run}: the run id); the
 * default is the run page with ?task=, which shows LogView on branch h-logs
 * (there `&live=1`, added for the live part, says the task is running).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startEngineProcess, stopEngineProcess, timedCall, type EngineProcess } from "../engine-process.js";
import { machine, percentile, saveResult } from "../lib.js";

const { values: options } = parseArgs({
  options: {
    lines: { type: "string", default: "1000000" },
    loads: { type: "string", default: "5" },
    path: { type: "string", default: "/runs/{run}?task=print" },
    chromium: { type: "string", default: process.env.CHROMIUM ?? "/usr/bin/chromium" },
    keep: { type: "boolean", default: false },
  },
});
const LINES = Number(options.lines);
const LOADS = Number(options.loads);

// The functions below run in the page (page.evaluate serialises them); the bench compiles without the DOM's types.
declare const window: any;
declare const document: any;
declare const MutationObserver: any;
declare const KeyboardEvent: any;
declare const requestAnimationFrame: (callback: (now: number) => void) => number;
type HTMLElement = any;

const YAML = `
pipelines:
  million:
    tasks:
      print:
        python: |
          import sys
          out = sys.stdout
          for i in range(1, ${LINES} + 1):
              if i % 100 == 0:
                  print(f"\\x1b[31merror\\x1b[0m {i} went to stderr", file=sys.stderr)
              elif i % 10 == 0:
                  out.write(f"\\x1b[1;32mline {i}\\x1b[0m \\x1b[38;5;208min 256 colours\\x1b[0m and \\x1b[38;2;120;80;255mtruecolor\\x1b[0m\\n")
              else:
                  out.write(f"line {i} of the output, with a few more words to make it look real\\n")
`;

/** Runs in the page before its scripts: records long tasks, and when the first line's text is shown. */
function instrument(): void {
  const w = window as unknown as { __longtasks: { start: number; duration: number }[]; __firstScreen?: number };
  w.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) w.__longtasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: "longtask" as any, buffered: true });
  const shown = () => {
    const text = document.querySelector(".log__row .log__text");
    return text !== null && text.querySelector(".log__pending") === null && (text.textContent ?? "").length > 0;
  };
  const observer = new MutationObserver(() => {
    if (!shown()) return;
    observer.disconnect();
    requestAnimationFrame(() => (w.__firstScreen = performance.now()));
  });
  document.addEventListener("DOMContentLoaded", () => observer.observe(document.body, { subtree: true, childList: true, characterData: true }));
}

/** In the page: press End on the log, resolve with the ms until the last line's text is shown (the frame after it is in the page). */
function jumpToEnd(lines: number): Promise<number> {
  return new Promise((resolve) => {
    const scroller = (document.querySelector(".log__scroller") as HTMLElement);
    const shown = () => {
      const text = document.querySelector(`.log__row[data-line="${lines}"] .log__text`);
      return text !== null && text.querySelector(".log__pending") === null && (text.textContent ?? "").length > 0;
    };
    const started = performance.now();
    const observer = new MutationObserver(() => {
      if (!shown()) return;
      observer.disconnect();
      requestAnimationFrame(() => resolve(performance.now() - started));
    });
    observer.observe(scroller, { subtree: true, childList: true, characterData: true });
    scroller.focus();
    scroller.dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true, cancelable: true }));
  });
}

/** In the page: counts frames until stopped: the longest gap between two, and how many showed a row still waiting for its text. */
function watchFrames(): void {
  const w = window as unknown as { __frames: { count: number; pending: number; maxGap: number; stop: boolean } };
  w.__frames = { count: 0, pending: 0, maxGap: 0, stop: false };
  let last = performance.now();
  const tick = (now: number) => {
    const frames = w.__frames;
    frames.maxGap = Math.max(frames.maxGap, now - last);
    last = now;
    frames.count++;
    if (document.querySelector(".log__pending")) frames.pending++;
    if (!frames.stop) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** In the page: the scrollbar dragged from the top to the middle in `steps` frames, then let go: resolves with the ms until every row shows its text. */
function dragScrollbar(steps: number): Promise<number> {
  const scroller = document.querySelector(".log__scroller") as HTMLElement;
  return new Promise((resolve) => {
    let step = 0;
    const move = () => {
      scroller.scrollTop = ((scroller.scrollHeight - scroller.clientHeight) * step) / (2 * steps);
      if (++step <= steps) return requestAnimationFrame(move);
      const released = performance.now();
      const settled = () => (document.querySelector(".log__pending") ? requestAnimationFrame(settled) : resolve(performance.now() - released));
      requestAnimationFrame(settled);
    };
    move();
  });
}

interface Phase {
  ms: number;
  longest_task_ms: number;
  long_tasks: number;
  frames: number;
  longest_frame_gap_ms: number;
  frames_with_pending_rows: number;
}

async function phase(page: Page, run: () => Promise<void>): Promise<Phase> {
  const before = await page.evaluate(() => (window as unknown as { __longtasks: unknown[] }).__longtasks.length);
  await page.evaluate(watchFrames);
  const started = Date.now();
  await run();
  const ms = Date.now() - started;
  // Let the last frames and long-task entries land.
  await page.waitForTimeout(300);
  return page.evaluate(
    ({ before, ms }) => {
      const w = window as unknown as { __longtasks: { duration: number }[]; __frames: { count: number; pending: number; maxGap: number; stop: boolean } };
      w.__frames.stop = true;
      const tasks = w.__longtasks.slice(before);
      return {
        ms,
        longest_task_ms: Math.max(0, ...tasks.map((task) => task.duration)),
        long_tasks: tasks.length,
        frames: w.__frames.count,
        longest_frame_gap_ms: Math.round(w.__frames.maxGap),
        frames_with_pending_rows: w.__frames.pending,
      };
    },
    { before, ms },
  );
}

async function logIn(context: BrowserContext, engine: EngineProcess): Promise<void> {
  const link = await timedCall(engine, "POST", "/ui/login-link");
  if (link.status !== 201) throw new Error(`login link: ${link.status} ${link.text}`);
  const page = await context.newPage();
  await page.goto(engine.url + (JSON.parse(link.text) as { path: string }).path);
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  await page.close();
}

async function openLog(context: BrowserContext, url: string): Promise<{ page: Page; firstScreen: number }> {
  const page = await context.newPage();
  await page.addInitScript(instrument);
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { __firstScreen?: number }).__firstScreen !== undefined, undefined, { timeout: 30_000 });
  const firstScreen = await page.evaluate(() => (window as unknown as { __firstScreen: number }).__firstScreen);
  return { page, firstScreen };
}

async function waitForRun(engine: EngineProcess, id: string): Promise<void> {
  for (;;) {
    const run = JSON.parse((await timedCall(engine, "GET", `/runs/${id}`)).text) as { state: string };
    if (run.state === "succeeded") return;
    if (run.state !== "running" && run.state !== "queued") throw new Error(`the run ended ${run.state}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { first: Math.round(values[0]!), median: Math.round(percentile(sorted, 50)), max: Math.round(sorted.at(-1)!) };
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spire-bench-ui-logs-"));
  const engine = await startEngineProcess(join(dir, "data"), join(dir, "engine.log"));
  const context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: options.chromium,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 900 },
  });
  console.log(`bench/ui/logs-million — ${LINES.toLocaleString("en-US")} lines, ${LOADS} page loads — ${machine()}, Chromium ${context.browser()?.version() ?? ""}`);
  try {
    const applied = await timedCall(engine, "POST", "/apply", { text: YAML, namespace: "bench" });
    if (applied.status !== 200) throw new Error(`apply: ${applied.text}`);
    await logIn(context, engine);
    const start = async () => (JSON.parse((await timedCall(engine, "POST", "/pipelines/bench/million/runs", {})).text) as { id: string }).id;

    // Live: open the viewer while the task prints, following it to its end.
    const liveId = await start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const live = await openLog(context, `${engine.url}${options.path.replace("{run}", liveId)}&live=1`);
    const livePhase = await phase(live.page, async () => {
      await waitForRun(engine, liveId);
      await live.page.waitForSelector(`.log__row[data-line="${LINES}"] .log__text:not(:has(.log__pending))`, { timeout: 30_000 });
    });
    await live.page.close();
    console.log(`\nlive (the viewer following the task as it printed): ${JSON.stringify(livePhase)}`);

    const id = await start();
    await waitForRun(engine, id);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the line index made when the attempt ended
    const url = engine.url + options.path.replace("{run}", id);

    const firstScreens: number[] = [];
    const jumps: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const { page, firstScreen } = await openLog(context, url);
      firstScreens.push(firstScreen);
      jumps.push(await page.evaluate(jumpToEnd, LINES));
      await page.close();
    }
    console.log(`\nfirst screen (navigation start → line 1 shown), ms: ${JSON.stringify(summary(firstScreens))}  [${firstScreens.map(Math.round).join(", ")}]`);
    console.log(`jump to the end (End key → line ${LINES.toLocaleString("en-US")} shown), ms: ${JSON.stringify(summary(jumps))}  [${jumps.map(Math.round).join(", ")}]`);

    const { page } = await openLog(context, url);
    const box = (await page.locator(".log__scroller").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const wheel = await phase(page, async () => {
      for (let i = 0; i < 150; i++) {
        await page.mouse.wheel(0, 400);
        await page.waitForTimeout(16);
      }
    });
    let settle = 0;
    const drag = await phase(page, async () => {
      settle = await page.evaluate(dragScrollbar, 240);
    });
    await page.locator(".log__scroller").focus();
    const pageDown = await phase(page, async () => {
      for (let i = 0; i < 60; i++) await page.keyboard.press("PageDown");
    });
    console.log(`\nscrolling:\n  wheel (150 × 400 px): ${JSON.stringify(wheel)}\n  scrollbar drag, top to middle in 240 frames (every frame 2,000 lines on): ${JSON.stringify(drag)}; every row filled ${Math.round(settle)} ms after letting go\n  PageDown × 60: ${JSON.stringify(pageDown)}`);

    const search = await phase(page, async () => {
      await page.getByRole("searchbox").fill("stderr");
      await page.getByRole("searchbox").press("Enter");
      await page.waitForFunction(() => /of 10,000 lines$/.test(document.querySelector(".log__search-count")?.textContent ?? ""), undefined, { timeout: 60_000 });
    });
    console.log(`search "stderr" over the whole log (10,000 matching lines): ${JSON.stringify(search)}`);
    await page.close();

    const file = saveResult("ui-logs-million", {
      lines: LINES,
      first_screen_ms: summary(firstScreens),
      jump_to_end_ms: summary(jumps),
      scrolling: { wheel, drag: { ...drag, filled_after_release_ms: Math.round(settle) }, page_down: pageDown },
      search,
      live: livePhase,
    });
    console.log(`\nresult: ${file}`);
  } finally {
    await context.close();
    await stopEngineProcess(engine);
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
