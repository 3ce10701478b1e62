/**
 * The log viewer with a 1,000,000-line task log, on the run page a person
 * opens (/runs/ID?task=print&tab=logs), in Chromium against a real engine:
 * what bench/ui/ui.ts --only logs (issue 14's budget: first screen and jump
 * to the end ≤ 300 ms each) and bench/ui/logs-million.ts (scrolling, search,
 * live) share.
 *
 * A task prints the lines (every 10th in colour: 16, 256 and 24-bit;
 * every 100th on stderr). Each measure is taken on a fresh page load:
 *   - first screen: from the navigation's start to the frame after line 1's text is in the page;
 *   - jump to the end: from the End key to the frame after the last line's text is in the page.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { percentile } from "../lib.js";
import { logIn, startBenchEngine, type BenchEngine } from "./engine.js";

export const LOG_BUDGET_MS = 300;

// The functions below run in the page (page.evaluate serialises them); the bench compiles without the DOM's types.
declare const window: any;
declare const document: any;
declare const MutationObserver: any;
declare const KeyboardEvent: any;
declare const requestAnimationFrame: (callback: (now: number) => void) => number;
type HTMLElement = any;

/** One pipeline, bench/million, whose task `print` prints `lines` lines. */
export function millionLines(lines: number): string {
  return `namespace: bench
pipelines:
  million:
    tasks:
      print:
        python: |
          import sys
          out = sys.stdout
          for i in range(1, ${lines} + 1):
              if i % 100 == 0:
                  print(f"\\x1b[31merror\\x1b[0m {i} went to stderr", file=sys.stderr)
              elif i % 10 == 0:
                  out.write(f"\\x1b[1;32mline {i}\\x1b[0m \\x1b[38;5;208min 256 colours\\x1b[0m and \\x1b[38;2;120;80;255mtruecolor\\x1b[0m\\n")
              else:
                  out.write(f"line {i} of the output, with a few more words to make it look real\\n")
`;
}

/** Where a person sees the task's log: the run page, the task selected, its Logs tab. */
export const logPath = (runId: string) => `/runs/${runId}?task=print&tab=logs`;

export interface LogBench {
  engine: BenchEngine;
  browser: Browser;
  context: BrowserContext;
  /** Starts a run of bench/million; its id. */
  start(): Promise<string>;
  close(): Promise<void>;
}

/** A real engine with bench/million, a Chromium logged in to it (a 1280×900 window). */
export async function startLogBench(browser: Browser, lines: number): Promise<LogBench> {
  const engine = await startBenchEngine(millionLines(lines));
  try {
    const ui = await logIn(browser, engine, { viewport: { width: 1280, height: 900 } });
    await ui.page.close();
    return {
      engine,
      browser,
      context: ui.context,
      start: async () => (await engine.api<{ id: string }>("POST", "/pipelines/bench/million/runs", {}, 201)).id,
      close: async () => {
        await ui.context.close();
        await engine.stop();
      },
    };
  } catch (error) {
    await engine.stop();
    throw error;
  }
}

/** Until the run has succeeded (throws if it ended otherwise). */
export async function waitForRun(engine: BenchEngine, id: string): Promise<void> {
  for (;;) {
    const run = await engine.api<{ state: string }>("GET", `/runs/${id}`);
    if (run.state === "succeeded") return;
    if (run.state !== "running" && run.state !== "queued") throw new Error(`the run ended ${run.state}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

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
    const scroller = document.querySelector(".log__scroller") as HTMLElement;
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

/** A new page on `url`, instrumented; the ms from its navigation's start to the first line shown. */
export async function openLog(context: BrowserContext, url: string): Promise<{ page: Page; firstScreen: number }> {
  const page = await context.newPage();
  await page.addInitScript(instrument);
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { __firstScreen?: number }).__firstScreen !== undefined, undefined, { timeout: 30_000 });
  const firstScreen = await page.evaluate(() => (window as unknown as { __firstScreen: number }).__firstScreen);
  return { page, firstScreen };
}

/** The longest task recorded on the page so far, and how many over 50 ms. */
export async function longTasks(page: Page, since = 0): Promise<{ longest: number; count: number }> {
  return page.evaluate((since) => {
    const tasks = (window as unknown as { __longtasks: { duration: number }[] }).__longtasks.slice(since);
    return { longest: Math.max(0, ...tasks.map((task) => task.duration)), count: tasks.length };
  }, since);
}

export interface Summary {
  first: number;
  median: number;
  max: number;
}

export const summarize = (values: number[]): Summary => {
  const sorted = [...values].sort((a, b) => a - b);
  return { first: Math.round(values[0]!), median: Math.round(percentile(sorted, 50)), max: Math.round(sorted.at(-1)!) };
};

export interface FirstScreenAndJump {
  firstScreens: number[];
  jumps: number[];
  firstScreen: Summary;
  jump: Summary;
  /** The longest main-thread task over all the loads and jumps. */
  longestTaskMs: number;
}

/** `loads` fresh loads of the finished run's log: first screen, then End → the last line. */
export async function firstScreenAndJump(bench: LogBench, runId: string, lines: number, loads: number): Promise<FirstScreenAndJump> {
  const url = bench.engine.url + logPath(runId);
  const firstScreens: number[] = [];
  const jumps: number[] = [];
  let longestTaskMs = 0;
  for (let i = 0; i < loads; i++) {
    const { page, firstScreen } = await openLog(bench.context, url);
    firstScreens.push(firstScreen);
    jumps.push(await page.evaluate(jumpToEnd, lines));
    await page.waitForTimeout(300); // the last long-task entries land
    longestTaskMs = Math.max(longestTaskMs, (await longTasks(page)).longest);
    await page.close();
  }
  return { firstScreens, jumps, firstScreen: summarize(firstScreens), jump: summarize(jumps), longestTaskMs };
}

/** A finished run of bench/million, its line index written. */
export async function finishedRun(bench: LogBench): Promise<string> {
  const id = await bench.start();
  await waitForRun(bench.engine, id);
  await new Promise((resolve) => setTimeout(resolve, 500)); // the line index made when the attempt ended
  return id;
}
