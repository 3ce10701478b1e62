/**
 * bench/ui: the web UI in a real Chromium against a real engine (issue 14
 * item 9).
 *
 *  (a) first load: the JS and CSS that index.html loads (not the lazy page
 *      chunks), gzipped as the engine serves them; also what the browser
 *      actually fetched to show the pipelines page. Budget ≤ 100 KB.
 *      Compared with Dagu's published figures (one bundle.js of React 19
 *      and Mermaid: Mermaid alone ≈ 1 MB gzipped).
 *  (b) the pipelines page with 1,000 pipelines (and a run each), warm
 *      engine, median of several loads: "usable" is the moment the
 *      1,000th row is in the DOM (every row is rendered: nothing is
 *      windowed away), measured in the page from the navigation's start by
 *      a MutationObserver; then the search box: from a typed query to the
 *      filtered list on screen. Budget ≤ 500 ms. The longest main-thread
 *      task of the load (PerformanceObserver longtask) is printed too.
 *  (c) a 1,000-task run's page (10 layers of 100 tasks): from the
 *      navigation to its title and graph painted, budget ≤ 1 s, and the
 *      longest main-thread task of the load, budget ≤ 100 ms; a new run
 *      followed live from its start on the real engine; and the run's
 *      recorded events replayed to the page at 1,000 task state changes a
 *      second (the engine here makes fewer): the longest task while
 *      following, budget ≤ 100 ms. See bench/ui/run-page.ts.
 *  (d) a 1,000,000-line log on the run page (?task=print&tab=logs): first
 *      screen and jump to the end, each ≤ 300 ms, median of several fresh
 *      loads. See bench/ui/log-view.ts (bench/ui/logs-million.ts measures
 *      scrolling, search and live with the same code).
 *
 *   npm run build && node dist/bench/ui/ui.js [--only bundle|pipelines|run|logs] [--loads 7] [--pipelines 1000] [--lines 1000000]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { launchChromium } from "../../test/helpers/browser.js";
import { machine, percentile, REPO_ROOT, saveResult } from "../lib.js";
import { logIn, startBenchEngine, waitForRunsToEnd } from "./engine.js";
import { finishedRun, firstScreenAndJump, LOG_BUDGET_MS, startLogBench, type FirstScreenAndJump } from "./log-view.js";
import { benchRunPage, LONG_TASK_BUDGET_MS, RUN_PAGE_BUDGET_MS, type RunPageResult } from "./run-page.js";

const { values: options } = parseArgs({
  options: {
    only: { type: "string" },
    loads: { type: "string", default: "7" },
    pipelines: { type: "string", default: "1000" },
    lines: { type: "string", default: "1000000" },
  },
});
const LOADS = Number(options.loads);
const PIPELINES = Number(options.pipelines);
const LINES = Number(options.lines);

const FIRST_LOAD_BUDGET_KB = 100;
const USABLE_BUDGET_MS = 500;
/** Dagu's UI (dagu-org/dagu, webpack → one bundle.js with React 19, Tailwind, Radix and Mermaid): Mermaid alone ≈ 1 MB gzipped (agentcore PR #1123), React ≈ 40 KB gzipped. Published figures, not measured here. */
const DAGU_FIRST_LOAD_KB = 1000;

const kb = (bytes: number) => bytes / 1024;
const fmt = (value: number, digits = 1) => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

// ---------------------------------------------------------------- (a) first load

interface Asset {
  path: string;
  kind: "script" | "style" | "preload";
  bytes: number;
  gzipBytes: number;
}

/** What dist/ui/index.html itself loads: its module script, the chunks it preloads, its style sheets. */
function firstLoadAssets(): Asset[] {
  const dir = join(REPO_ROOT, "dist", "ui");
  const html = readFileSync(join(dir, "index.html"), "utf8");
  const assets: Asset[] = [];
  const add = (path: string, kind: Asset["kind"]) => {
    const body = readFileSync(join(dir, path.replace(/^\//, "")));
    // The engine gzips at level 9 when the client accepts it (src/api/static-ui.ts).
    assets.push({ path, kind, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length });
  };
  for (const [, src] of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)) add(src!, "script");
  for (const [tag] of html.matchAll(/<link\b[^>]*>/g)) {
    const href = /\bhref="([^"]+)"/.exec(tag!)?.[1];
    if (!href || !href.startsWith("/assets/")) continue;
    if (/\brel="stylesheet"/.test(tag!)) add(href, "style");
    else if (/\brel="modulepreload"/.test(tag!)) add(href, "preload");
  }
  return assets;
}

interface BundleResult {
  assets: Asset[];
  totalBytes: number;
  totalGzipBytes: number;
  /** What the browser fetched (JS and CSS, bytes on the wire) to show the pipelines page after logging in. */
  fetched: { url: string; encodedBytes: number }[];
  fetchedBytes: number;
}

async function benchBundle(): Promise<BundleResult> {
  const assets = firstLoadAssets();
  const totalBytes = assets.reduce((sum, asset) => sum + asset.bytes, 0);
  const totalGzipBytes = assets.reduce((sum, asset) => sum + asset.gzipBytes, 0);

  const engine = await startBenchEngine("namespace: bench\npipelines:\n  hello:\n    tasks:\n      hi:\n        run: echo hi\n");
  const browser = await launchChromium();
  try {
    const { page } = await logIn(browser, engine);
    await page.getByRole("link", { name: "hello" }).waitFor();
    const fetched = (await page.evaluate(`performance.getEntriesByType("resource")
      .filter((entry) => /\\.(js|css)$/.test(new URL(entry.name).pathname))
      .map((entry) => ({ url: new URL(entry.name).pathname, encodedBytes: entry.encodedBodySize }))`)) as { url: string; encodedBytes: number }[];
    const fetchedBytes = fetched.reduce((sum, entry) => sum + entry.encodedBytes, 0);
    return { assets, totalBytes, totalGzipBytes, fetched, fetchedBytes };
  } finally {
    await browser.close();
    await engine.stop();
  }
}

function printBundle(result: BundleResult): void {
  console.log("(a) first load: what index.html loads, gzipped -9 as the engine sends it");
  for (const asset of result.assets) console.log(`    ${asset.kind.padEnd(7)} ${asset.path.padEnd(32)} ${fmt(kb(asset.bytes)).padStart(7)} KB, ${fmt(kb(asset.gzipBytes)).padStart(6)} KB gz`);
  console.log(`    total   ${fmt(kb(result.totalBytes))} KB, ${fmt(kb(result.totalGzipBytes))} KB gz (budget ≤ ${FIRST_LOAD_BUDGET_KB} KB gz: ${kb(result.totalGzipBytes) <= FIRST_LOAD_BUDGET_KB ? "met" : "NOT MET"})`);
  console.log(`    fetched by Chromium to show the pipelines page (JS + CSS on the wire): ${fmt(kb(result.fetchedBytes))} KB in ${result.fetched.length} files (${result.fetched.map((entry) => entry.url).join(", ")})`);
  console.log(`    Dagu (published figures, not measured here: one bundle.js with React 19 + Mermaid): ≥ ${DAGU_FIRST_LOAD_KB} KB gz → Spire's is ${fmt(kb(result.totalGzipBytes) / DAGU_FIRST_LOAD_KB * 100, 1)} % of it (≥ ${fmt(DAGU_FIRST_LOAD_KB / kb(result.totalGzipBytes), 0)}× smaller)`);
}

// ---------------------------------------------------------------- (b) 1,000 pipelines

const NAMESPACES = 10;

/** One definitions file per namespace (the engine starts with the first, the others are applied through the API); the last pipeline's name. */
function manyPipelines(count: number): { files: string[]; last: { namespace: string; name: string } } {
  const perNamespace = Math.ceil(count / NAMESPACES);
  const files: string[] = [];
  let last = { namespace: "", name: "" };
  for (let ns = 0; ns < NAMESPACES; ns++) {
    const namespace = `team-${String(ns).padStart(2, "0")}`;
    const lines = [`namespace: ${namespace}`, "pipelines:"];
    for (let index = 0; index < perNamespace && ns * perNamespace + index < count; index++) {
      const name = `job-${String(ns * perNamespace + index).padStart(4, "0")}`;
      last = { namespace, name };
      lines.push(
        `  ${name}:`,
        `    description: Pipeline ${index} of ${namespace}, nightly`,
        "    triggers:",
        `      - cron: "${index % 60} ${index % 24} * * *"`,
        "    tasks:",
        "      step:",
        '        run: "true"',
      );
    }
    files.push(lines.join("\n") + "\n");
  }
  return { files, last };
}

interface LoadFigures {
  firstRowMs: number;
  lastRowMs: number;
  /** The frame after the last row was added: it is on screen. */
  paintedMs: number;
  /** Where the time went: the app's script loaded, GET /pipelines?recent=20 answered (responseEnd from the navigation's start). */
  scriptLoadedMs: number;
  pipelinesAnsweredMs: number;
  /** Requests to the API the load made, but the session and the event stream: the list, with every pipeline's last 20 runs. */
  apiRequests: number;
  longestTaskMs: number;
  searchMs: number;
  /** In another tab: a search typed as soon as the first rows show, answered on screen (the page is usable). */
  usableMs: number;
  /** The longest task of that load. */
  usableLongestTaskMs: number;
}

interface PipelinesResult {
  pipelines: number;
  runs: number;
  loads: LoadFigures[];
  median: LoadFigures;
  max: LoadFigures;
}

/**
 * Installed before the page's scripts: notes when the first and the last
 * pipeline's rows are in the DOM, the frame after, and the longest task.
 * With `searchAtFirstRow`, types the last pipeline's name into the search
 * box as soon as the first row shows instead, and notes when the one
 * matching row is painted (`usableMs`).
 */
function markerScript(lastTitleId: string, lastName: string, searchAtFirstRow: boolean): string {
  return `(() => {
    const marks = (window.__bench = { firstRowMs: null, lastRowMs: null, paintedMs: null, usableMs: null, longestTaskMs: 0 });
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) marks.longestTaskMs = Math.max(marks.longestTaskMs, entry.duration);
    }).observe({ type: "longtask", buffered: true });
    const painted = (key) => requestAnimationFrame(() => setTimeout(() => (marks[key] = performance.now())));
    let typed = false;
    const observer = new MutationObserver(() => {
      if (marks.firstRowMs === null && document.querySelector("article.pipeline")) {
        marks.firstRowMs = performance.now();
        if (${searchAtFirstRow}) {
          typed = true;
          setTimeout(() => {
            const input = document.getElementById("filter-q");
            input.value = ${JSON.stringify(lastName)};
            input.dispatchEvent(new Event("input", { bubbles: true }));
          });
        }
      }
      if (!document.getElementById(${JSON.stringify(lastTitleId)})) return;
      if (typed) {
        if (!/^1 of /.test(document.querySelector(".filters__count")?.textContent ?? "")) return;
        observer.disconnect();
        painted("usableMs");
        return;
      }
      marks.lastRowMs = performance.now();
      observer.disconnect();
      painted("paintedMs");
    });
    observer.observe(document, { childList: true, subtree: true, characterData: true });
  })()`;
}

/** From a typed query to the filtered list painted: the input event, the re-render, the next frame. */
const SEARCH = `(async (query) => {
  const input = document.getElementById("filter-q");
  const status = document.querySelector(".filters__count");
  const started = performance.now();
  input.value = query;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await new Promise((resolve) => {
    const check = () => (/^1 of /.test(status.textContent) ? resolve() : requestAnimationFrame(check));
    check();
  });
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
  return performance.now() - started;
})`;

async function benchPipelines(): Promise<PipelinesResult> {
  const { files, last } = manyPipelines(PIPELINES);
  const [first, ...rest] = files;
  const engine = await startBenchEngine(first!);
  const browser = await launchChromium();
  try {
    for (const text of rest) await engine.api("POST", "/apply", { text });
    const list = await engine.api<{ namespace: string; name: string }[] | { pipelines: { namespace: string; name: string }[] }>("GET", "/pipelines");
    const all = Array.isArray(list) ? list : list.pipelines;
    if (all.length !== PIPELINES) throw new Error(`applied ${all.length} pipelines, not ${PIPELINES}`);
    // A run each, so the rows have their squares (they come with the list: GET /pipelines?recent=20).
    for (const pipeline of all) await engine.api("POST", `/pipelines/${pipeline.namespace}/${pipeline.name}/runs`, {}, 201);
    await waitForRunsToEnd(engine, 600_000);

    const lastTitleId = `p-${`${last.namespace}/${last.name}`.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const ui = await logIn(browser, engine);
    const { page } = ui;
    await ui.context.addInitScript(markerScript(lastTitleId, last.name, false));
    const searching = await logIn(browser, engine);
    await searching.context.addInitScript(markerScript(lastTitleId, last.name, true));
    const loads: LoadFigures[] = [];
    // One warm-up load (the engine's caches, the browser's compiled code), then the measured ones, the two tabs in turn.
    for (let round = 0; round <= LOADS; round++) {
      await searching.page.goto(`${engine.url}/`);
      await searching.page.waitForFunction(() => (globalThis as unknown as { __bench?: { usableMs: number | null } }).__bench?.usableMs != null, undefined, { timeout: 60_000 });
      const usable = (await searching.page.evaluate("window.__bench")) as { usableMs: number; longestTaskMs: number };
      if ((await searching.page.locator("article.pipeline").count()) !== 1) throw new Error("the search typed during the load did not leave one row");

      await page.goto(`${engine.url}/`);
      // A function, not a string: the page's CSP allows no eval.
      await page.waitForFunction(() => (globalThis as unknown as { __bench?: { paintedMs: number | null } }).__bench?.paintedMs != null, undefined, { timeout: 60_000 });
      const marks = (await page.evaluate(`(() => {
        const end = (test) => Math.max(0, ...performance.getEntriesByType("resource").filter((entry) => test(new URL(entry.name))).map((entry) => entry.responseEnd));
        return {
          ...window.__bench,
          scriptLoadedMs: end((url) => url.pathname.startsWith("/assets/") && url.pathname.endsWith(".js")),
          pipelinesAnsweredMs: end((url) => url.pathname === "/api/v1/pipelines"),
          apiRequests: performance.getEntriesByType("resource").map((entry) => new URL(entry.name).pathname).filter((path) => path.startsWith("/api/v1/") && path !== "/api/v1/session" && path !== "/api/v1/events").length,
        };
      })()`)) as Omit<LoadFigures, "searchMs">;
      const searchMs = (await page.evaluate(`${SEARCH}(${JSON.stringify(last.name)})`)) as number;
      const rows = await page.locator("article.pipeline").count();
      if (rows !== 1) throw new Error(`the search left ${rows} rows, not 1`);
      if (round > 0) loads.push({ ...marks, searchMs, usableMs: usable.usableMs, usableLongestTaskMs: usable.longestTaskMs });
    }
    const pick = (key: keyof LoadFigures, f: (values: number[]) => number) => f(loads.map((load) => load[key]));
    const summary = (f: (values: number[]) => number): LoadFigures => ({
      firstRowMs: pick("firstRowMs", f),
      lastRowMs: pick("lastRowMs", f),
      paintedMs: pick("paintedMs", f),
      scriptLoadedMs: pick("scriptLoadedMs", f),
      pipelinesAnsweredMs: pick("pipelinesAnsweredMs", f),
      apiRequests: pick("apiRequests", f),
      longestTaskMs: pick("longestTaskMs", f),
      searchMs: pick("searchMs", f),
      usableMs: pick("usableMs", f),
      usableLongestTaskMs: pick("usableLongestTaskMs", f),
    });
    return { pipelines: all.length, runs: all.length, loads, median: summary(median), max: summary((values) => Math.max(...values)) };
  } finally {
    await browser.close();
    await engine.stop();
  }
}

function printPipelines(result: PipelinesResult): void {
  console.log(`(b) the pipelines page, ${result.pipelines.toLocaleString("en-US")} pipelines with a run each, warm engine, ${result.loads.length} loads after one warm-up (median, max)`);
  const line = (label: string, key: keyof LoadFigures, budget?: number) =>
    console.log(
      `    ${label.padEnd(58)} ${fmt(result.median[key], 0).padStart(5)} ms, max ${fmt(result.max[key], 0).padStart(5)} ms${budget !== undefined ? ` (budget ≤ ${budget} ms: ${result.median[key] <= budget ? "met" : "NOT MET"})` : ""}`,
    );
  line("navigation → the app's script loaded", "scriptLoadedMs");
  line("navigation → GET /pipelines?recent=20 answered", "pipelinesAnsweredMs");
  line("navigation → first row in the DOM", "firstRowMs");
  line("navigation → 1,000th row in the DOM", "lastRowMs");
  line("navigation → the next frame painted", "paintedMs");
  line("longest main-thread task of the load", "longestTaskMs");
  line("search typed after the load → filtered list painted", "searchMs");
  line("usable: search typed at the first row → its answer painted", "usableMs", USABLE_BUDGET_MS);
  line("longest main-thread task of that load", "usableLongestTaskMs");
  console.log(`    requests to the API in a load (but the session and the event stream): ${fmt(result.median.apiRequests, 0)}, max ${fmt(result.max.apiRequests, 0)}`);
  console.log("    baseline: Airflow's grid view has taken 30 s and more on big DAGs (apache/airflow #23772, #56968): published, not measured here");
}

// ---------------------------------------------------------------- (c) a 1,000-task run (bench/ui/run-page.ts)

function printRunPage(result: RunPageResult): void {
  const budget = (value: number, limit: number) => `budget ≤ ${limit} ms: ${value <= limit ? "met" : "NOT MET"}`;
  const cpu = (traced: RunPageResult["longestLoadTraced"]) => `traced: longest ${fmt(traced.wall, 0)} ms of which ${fmt(traced.cpuOfLongest, 0)} ms on a core; most CPU in one task ${fmt(traced.mostCpu, 0)} ms`;
  console.log(`(c) a ${result.tasks.toLocaleString("en-US")}-task run's page (10 layers of 100), ${result.loads.length} loads after one warm-up`);
  console.log(`    navigation → title and graph painted: median ${fmt(result.shownMs, 0)} ms, max ${fmt(Math.max(...result.loads.map((load) => load.shownMs)), 0)} ms (${budget(result.shownMs, RUN_PAGE_BUDGET_MS)})`);
  console.log(`    longest main-thread task of a load (to 1 s after it was shown): ${fmt(result.longestLoadTaskMs, 0)} ms (${budget(result.longestLoadTaskMs, LONG_TASK_BUDGET_MS)}) [${result.loads.map((load) => fmt(load.longestTaskMs, 0)).join(", ")}]; longest animation frame ${fmt(result.longestLoadFrameMs, 0)} ms`);
  console.log(`      ${cpu(result.longestLoadTraced)}`);
  const live = result.live;
  console.log(
    `    real engine, a run followed live from its start: the engine made ${fmt(live.changesPerSecond, 0)} task state changes/s (started + finished); longest task while loading ${fmt(live.loadLongestTaskMs, 0)} ms, while following ${fmt(live.followLongestTaskMs, 0)} ms (${budget(live.followLongestTaskMs, LONG_TASK_BUDGET_MS)}), longest frame ${fmt(live.followLongestFrameMs, 0)} ms; the page said succeeded ${fmt(live.lagMs, 0)} ms after the engine`,
  );
  console.log(`      while following, ${cpu(live.followTraced)}`);
  if (live.changesPerSecond < 1000) console.log("    (this engine made fewer than 1,000 changes/s here: the replay below pushes the page to that rate)");
  const replay = result.replay;
  console.log(
    `    replayed: the run's recorded events played to its page at ${fmt(replay.requestedPerSecond, 0)} changes/s (delivered ${fmt(replay.deliveredPerSecond, 0)}/s over ${fmt(replay.seconds, 1)} s; up to ${replay.runningSeen} boxes drawn running at once): longest task ${fmt(replay.longestTaskMs, 0)} ms (${budget(replay.longestTaskMs, LONG_TASK_BUDGET_MS)}), ${replay.longTasks} tasks over 50 ms, longest frame ${fmt(replay.longestFrameMs, 0)} ms; "succeeded" shown ${fmt(replay.lagMs, 0)} ms after the last event was sent`,
  );
  console.log(`      ${cpu(replay.traced)}`);
}

// ---------------------------------------------------------------- (d) a 1,000,000-line log (bench/ui/log-view.ts)

interface LogsResult extends FirstScreenAndJump {
  lines: number;
}

async function benchLogs(): Promise<LogsResult> {
  const browser = await launchChromium();
  const bench = await startLogBench(browser, LINES);
  try {
    const id = await finishedRun(bench);
    return { lines: LINES, ...(await firstScreenAndJump(bench, id, LINES, LOADS)) };
  } finally {
    await bench.close();
    await browser.close();
  }
}

function printLogs(result: LogsResult): void {
  const budget = (value: number) => `budget ≤ ${LOG_BUDGET_MS} ms: ${value <= LOG_BUDGET_MS ? "met" : "NOT MET"}`;
  console.log(`(d) a ${result.lines.toLocaleString("en-US")}-line log on the run page (?task=print&tab=logs), ${result.firstScreens.length} fresh loads (median, first load, max)`);
  console.log(`    navigation → line 1 painted: ${result.firstScreen.median} ms, first ${result.firstScreen.first}, max ${result.firstScreen.max} (${budget(result.firstScreen.median)}) [${result.firstScreens.map(Math.round).join(", ")}]`);
  console.log(`    End key → line ${result.lines.toLocaleString("en-US")} painted: ${result.jump.median} ms, first ${result.jump.first}, max ${result.jump.max} (${budget(result.jump.median)}) [${result.jumps.map(Math.round).join(", ")}]`);
  console.log(`    longest main-thread task over the loads and jumps: ${fmt(result.longestTaskMs, 0)} ms`);
}

// ---------------------------------------------------------------- main

console.log(`bench/ui — ${machine()}, Chromium ${process.env.SPIRE_CHROMIUM ?? "/usr/bin/chromium"}\n`);
const result: Record<string, unknown> = {};
if (!options.only || options.only === "bundle") {
  const bundle = await benchBundle();
  printBundle(bundle);
  result.bundle = bundle;
  console.log();
}
if (!options.only || options.only === "pipelines") {
  const pipelines = await benchPipelines();
  printPipelines(pipelines);
  result.pipelines = pipelines;
  console.log();
}
if (!options.only || options.only === "run") {
  const run = await benchRunPage(LOADS);
  printRunPage(run);
  result.run = run;
  console.log();
}
if (!options.only || options.only === "logs") {
  const logs = await benchLogs();
  printLogs(logs);
  result.logs = logs;
  console.log();
}
console.log(`wrote ${saveResult("ui", result)}`);
