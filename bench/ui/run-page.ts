/**
 * bench/ui, part (c): a 1,000-task run's page (issue 14 item 9: the page
 * ≤ 1 s; following 1,000 task state changes a second with no main-thread
 * task over 100 ms).
 *
 * The pipeline: 10 layers of 100 tasks, each needing the one above it. Its
 * tasks are `http` GETs to a loopback server in this process: the engine
 * does those itself, with no process to fork (a fork costs ~1–2 ms of a
 * core here, bench/spawn), so a run changes task states as fast as the
 * engine can record them.
 *
 *  - load: a finished run's page, loaded several times after a warm-up:
 *    navigation → its title and the first box of its graph in the DOM, the
 *    next frame; the longest main-thread task from the navigation until 1 s
 *    after that (work put off until after the first paint counts too).
 *  - live: a new run, its page opened at once and followed to the end; the
 *    rate of task state changes the engine made (each task's start and
 *    end), the longest task while loading and while following, and how long
 *    after the engine's finished_at the page said "succeeded".
 *  - replay: the engine of this machine does not reach 1,000 changes a
 *    second, so a finished run's recorded events are played back to its
 *    page at exactly that rate. The page, its scripts and every API answer
 *    come from the real engine, except three things the bench stands in
 *    for, from the recording: the engine-wide event stream (an EventSource
 *    stand-in installed before the page's scripts, in this bench only),
 *    and the run object and the run's own event history, answered as the
 *    engine would at that point of the replay. The UI's code is the same
 *    as in production: the live-events store parses the frames, batches
 *    them and hands them to the run page.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../../test/helpers/browser.js";
import { logIn, startBenchEngine, waitForRunsToEnd, type BenchEngine } from "./engine.js";
import { longestTraced, traced } from "./trace.js";

const LAYERS = 10;
const WIDTH = 100;
export const RUN_PAGE_BUDGET_MS = 1000;
export const LONG_TASK_BUDGET_MS = 100;
/** The replay's rate: task state changes a second (the budget's). */
export const REPLAY_RATE = 1000;
/** How long after the page is shown the load's tasks are still counted. */
const SETTLE_MS = 1000;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

/** 10 layers of 100 `http` tasks against the loopback server at `url`. */
function bigRun(url: string): string {
  const lines = ["namespace: bench", "pipelines:", "  big:", "    tasks:"];
  for (let layer = 0; layer < LAYERS; layer++) {
    for (let index = 0; index < WIDTH; index++) {
      lines.push(`      t${layer}-${index}:`, `        http: { url: "${url}" }`);
      if (layer > 0) lines.push(`        needs: [t${layer - 1}-${index}]`);
    }
  }
  return lines.join("\n") + "\n";
}

async function loopbackServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => response.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

interface Marks {
  shownAt: number | null;
  succeededAt: number | null;
  /** [start, duration] of every long task (PerformanceObserver "longtask": over 50 ms), page time. */
  tasks: [number, number][];
  /** [start, duration, blocking, what ran] of every long animation frame (over 50 ms: the tasks before a frame, its style, layout and paint). */
  frames: [number, number, number, string][];
}

/**
 * Installed before the page's scripts: every long task and long animation
 * frame, when the run's title and first graph box are in the DOM (the frame
 * after: shownAt), and when the title says "succeeded" (Date.now()).
 */
const MARKS = `(() => {
  const marks = (window.__bench = { shownAt: null, succeededAt: null, tasks: [], frames: [] });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) marks.tasks.push([entry.startTime, entry.duration]);
  }).observe({ type: "longtask", buffered: true });
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const scripts = [...entry.scripts].sort((a, b) => b.duration - a.duration).slice(0, 3)
          .map((script) => \`\${script.invoker || script.invokerType} \${script.sourceFunctionName || ""}@\${(script.sourceURL || "").split("/").pop()}:\${script.sourceCharPosition} \${Math.round(script.duration)} ms\`);
        const layout = entry.startTime + entry.duration - (entry.styleAndLayoutStart || entry.startTime + entry.duration);
        marks.frames.push([entry.startTime, entry.duration, entry.blockingDuration, \`\${scripts.join("; ")}; style and layout \${Math.round(layout)} ms\`]);
      }
    }).observe({ type: "long-animation-frame", buffered: true });
  } catch {}
  let asked = false;
  const observer = new MutationObserver(() => {
    if (!asked && document.querySelector(".run-title h1") && document.querySelector('.run-view [role="button"][data-path]')) {
      asked = true;
      requestAnimationFrame(() => setTimeout(() => {
        marks.shownAt = performance.now();
        performance.mark("bench:shown");
      }));
    }
    if (marks.succeededAt === null && document.querySelector(".run-title .state--succeeded")) marks.succeededAt = Date.now();
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["class"] });
})()`;

const longest = (entries: readonly (readonly [number, number, ...unknown[]])[], from = -Infinity, to = Infinity) => Math.max(0, ...entries.filter(([start]) => start >= from && start < to).map(([, duration]) => duration));

type RunBody = {
  id: string;
  state: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  cpu_ms: number | null;
  peak_rss_bytes: number | null;
  tasks: { path: string; state: string; attempts: number; exit_code: number | null; started_at: string | null; finished_at: string | null; duration_ms: number | null; cpu_ms: number | null; peak_rss_bytes: number | null }[];
};

/** What ran in the longest animation frame (from the Long Animation Frames API). */
const longestFrameWhy = (frames: Marks["frames"], from = -Infinity) => frames.filter(([start]) => start >= from).sort((a, b) => b[1] - a[1])[0]?.[3] ?? "";

/** From Chromium's trace: the longest main-thread task's wall time and the CPU it got; the most CPU one task took. */
type Traced = ReturnType<typeof longestTraced>;

export interface RunPageResult {
  tasks: number;
  loads: { shownMs: number; longestTaskMs: number; longestFrameMs: number; longestFrameWhy: string; traced: Traced }[];
  shownMs: number;
  longestLoadTaskMs: number;
  longestLoadFrameMs: number;
  longestLoadTraced: Traced;
  /** The real engine, followed from the run's start. */
  live: { changesPerSecond: number; loadLongestTaskMs: number; followLongestTaskMs: number; followLongestFrameMs: number; followLongestFrameWhy: string; followTraced: Traced; lagMs: number };
  /** The recorded events played back at REPLAY_RATE. */
  replay: { requestedPerSecond: number; deliveredPerSecond: number; seconds: number; longestTaskMs: number; longestFrameMs: number; longestFrameWhy: string; traced: Traced; longTasks: number; lagMs: number; runningSeen: number };
}

export async function benchRunPage(loadCount: number, replayRate = REPLAY_RATE): Promise<RunPageResult> {
  const target = await loopbackServer();
  const engine = await startBenchEngine(bigRun(target.url), ["--parallelism", String(WIDTH)]);
  const browser = await launchChromium();
  try {
    // Two runs first: one to warm the engine up, one to load; their events are the replay's recording.
    await engine.api<RunBody>("POST", "/pipelines/bench/big/runs", {}, 201);
    await waitForRunsToEnd(engine, 600_000);
    const finished = await engine.api<RunBody>("POST", "/pipelines/bench/big/runs", {}, 201);
    await waitForRunsToEnd(engine, 600_000);

    const ui = await logIn(browser, engine);
    await ui.context.addInitScript(MARKS);
    const { page } = ui;
    const loads: RunPageResult["loads"] = [];
    for (let round = 0; round <= loadCount; round++) {
      const { result: marks, trace } = await traced(page, async () => {
        await page.goto(`${engine.url}/runs/${finished.id}`);
        return settled(page);
      });
      if (round > 0) loads.push({ shownMs: marks.shownAt!, longestTaskMs: longest(marks.tasks), longestFrameMs: longest(marks.frames), longestFrameWhy: longestFrameWhy(marks.frames), traced: longestTraced(trace) });
    }

    const live = await followLive(page, engine);
    const replay = await replayRun(browser, engine, finished.id, replayRate);
    return {
      tasks: LAYERS * WIDTH,
      loads,
      shownMs: median(loads.map((load) => load.shownMs)),
      longestLoadTaskMs: Math.max(...loads.map((load) => load.longestTaskMs)),
      longestLoadFrameMs: Math.max(...loads.map((load) => load.longestFrameMs)),
      longestLoadTraced: loads.map((load) => load.traced).reduce((a, b) => (b.wall > a.wall ? { ...b, mostCpu: Math.max(a.mostCpu, b.mostCpu) } : { ...a, mostCpu: Math.max(a.mostCpu, b.mostCpu) })),
      live,
      replay,
    };
  } finally {
    await browser.close();
    await engine.stop();
    target.server.close();
  }
}

/** Waits for the page to be shown, then SETTLE_MS more; its marks. */
async function settled(page: Page): Promise<Marks> {
  await page.waitForFunction(() => (globalThis as unknown as { __bench?: Marks }).__bench?.shownAt != null, undefined, { timeout: 60_000 });
  await page.waitForTimeout(SETTLE_MS);
  return (await page.evaluate("window.__bench")) as Marks;
}

async function followLive(page: Page, engine: BenchEngine): Promise<RunPageResult["live"]> {
  const { result: [run, marks], trace } = await traced(page, async () => {
    const run = await engine.api<RunBody>("POST", "/pipelines/bench/big/runs", {}, 201);
    await page.goto(`${engine.url}/runs/${run.id}`);
    await page.waitForFunction(() => (globalThis as unknown as { __bench?: Marks }).__bench?.succeededAt != null, undefined, { timeout: 600_000 });
    await page.waitForTimeout(500);
    return [run, (await page.evaluate("window.__bench")) as Marks] as const;
  });
  const ended = await engine.api<RunBody>("GET", `/runs/${run.id}`);
  if (ended.state !== "succeeded") throw new Error(`the live run ended ${ended.state}`);
  const seconds = (Date.parse(ended.finished_at!) - Date.parse(ended.started_at!)) / 1000;
  const shown = marks.shownAt ?? Infinity;
  return {
    changesPerSecond: (2 * ended.tasks.length) / seconds,
    loadLongestTaskMs: longest(marks.tasks, -Infinity, shown),
    followLongestTaskMs: longest(marks.tasks, shown),
    followLongestFrameMs: longest(marks.frames, shown),
    followLongestFrameWhy: longestFrameWhy(marks.frames, shown),
    followTraced: longestTraced(trace, trace.marks.get("bench:shown") ?? Infinity),
    lagMs: marks.succeededAt! - Date.parse(ended.finished_at!),
  };
}

// ---------------------------------------------------------------- replay

interface Recorded {
  seq: number;
  ts: number;
  type: string;
  task_path: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
}

/** A finished run's stored events, as GET /runs/{id}/events?logs=none streams them (it ends after run.finished). */
async function recordedEvents(engine: BenchEngine, id: string): Promise<{ events: Recorded[]; frames: string[] }> {
  const response = await fetch(`${engine.url}/api/v1/runs/${id}/events?logs=none`, { headers: { authorization: `Bearer ${engine.token}`, accept: "text/event-stream" } });
  const text = await response.text();
  const frames = text.split(/\n\n/).filter((frame) => /^data:/m.test(frame));
  const events = frames.map((frame) => JSON.parse(/^data: ?(.*)$/m.exec(frame)![1]!) as Recorded);
  return { events, frames: frames.map((frame) => `${frame}\n\n`) };
}

const isTaskChange = (type: string) => type === "task.started" || type === "task.finished" || type === "task.skipped" || type === "task.canceled";

/** When each event is due, in ms from the replay's start: task state changes `1000 / rate` ms apart, other events with the change before them. */
function schedule(events: readonly Recorded[], rate: number): number[] {
  let changes = 0;
  return events.map((event) => (isTaskChange(event.type) ? changes++ : Math.max(0, changes - 1)) * (1000 / rate));
}

/**
 * The run object as the engine would answer it once `events[0..count)` had
 * happened: built from the finished run's, with every task's state, times
 * and attempt taken back to that point.
 */
function runAt(final: RunBody, events: readonly Recorded[], count: number): RunBody {
  if (events.slice(0, count).some((event) => event.type === "run.finished")) return final;
  const iso = (ms: number) => new Date(ms).toISOString();
  const tasks = new Map(final.tasks.map((task) => [task.path, { ...task, state: "pending", attempts: 0, exit_code: null as number | null, started_at: null as string | null, finished_at: null as string | null, duration_ms: null as number | null, cpu_ms: null, peak_rss_bytes: null }]));
  for (const event of events.slice(0, count)) {
    const task = event.task_path ? tasks.get(event.task_path) : undefined;
    if (!task) continue;
    if (event.type === "task.started") Object.assign(task, { state: "running", attempts: event.attempt ?? 1, started_at: iso(event.ts) });
    else if (event.type === "task.finished") {
      const state = typeof event.data?.state === "string" ? event.data.state : "failed";
      Object.assign(task, { state, finished_at: iso(event.ts), exit_code: typeof event.data?.exit_code === "number" ? event.data.exit_code : null, duration_ms: task.started_at ? event.ts - Date.parse(task.started_at) : null });
    }
  }
  return { ...final, state: "running", finished_at: null, duration_ms: null, cpu_ms: null, peak_rss_bytes: null, tasks: [...tasks.values()] };
}

/**
 * Installed before the page's scripts, in this bench only, for run `runId`:
 *  - EventSource for /api/v1/events is a stand-in the replay dispatches
 *    frames into (every other EventSource is the browser's);
 *  - fetch of the run's own event history (GET /runs/{id}/events?logs=none,
 *    which the engine keeps open while the run goes on) answers with a
 *    stream that starts with `prelude` (what happened before the replay) and
 *    then gets each replayed event too, ending after the last, as the
 *    engine's does.
 * window.__replay.start(frames, due) sends each frame when it is due
 * (checked every 4 ms: frames come in chunks from a real stream too),
 * counting what it sent.
 */
function replayScript(runId: string, prelude: string): string {
  return `(() => {
  const RealSource = window.EventSource;
  const realFetch = window.fetch;
  const encoder = new TextEncoder();
  const replay = (window.__replay = { source: null, histories: new Set(), sent: 0, startedAt: 0, endedAt: 0, runningSeen: 0 });
  class Stand extends EventTarget {
    constructor(url, init) {
      super();
      this.url = String(url);
      this.withCredentials = Boolean(init && init.withCredentials);
      this.readyState = 0;
      replay.source = this;
      setTimeout(() => { this.readyState = 1; this.dispatchEvent(new Event("open")); });
    }
    close() { this.readyState = 2; if (replay.source === this) replay.source = null; }
  }
  function EventSource(url, init) {
    return new URL(String(url), location.href).pathname === "/api/v1/events" ? new Stand(url, init) : new RealSource(url, init);
  }
  EventSource.CONNECTING = 0; EventSource.OPEN = 1; EventSource.CLOSED = 2;
  window.EventSource = EventSource;
  window.fetch = function (input, init) {
    const url = new URL(typeof input === "string" || input instanceof URL ? String(input) : input.url, location.href);
    if (url.pathname !== ${JSON.stringify(`/api/v1/runs/${runId}/events`)} || url.searchParams.get("logs") !== "none") return realFetch.apply(this, arguments);
    let history;
    const body = new ReadableStream({ start(controller) { history = controller; } });
    history.enqueue(encoder.encode(${JSON.stringify(prelude)}));
    replay.histories.add(history);
    init?.signal?.addEventListener("abort", () => { replay.histories.delete(history); try { history.error(new DOMException("aborted", "AbortError")); } catch {} });
    return Promise.resolve(new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } }));
  };
  replay.start = (frames, due) => new Promise((resolve) => {
    replay.startedAt = Date.now();
    const t0 = performance.now();
    const send = () => {
      const now = performance.now() - t0;
      let text = "";
      while (replay.sent < frames.length && due[replay.sent] <= now) {
        const [type, data] = frames[replay.sent++];
        replay.source?.dispatchEvent(new MessageEvent(type, { data }));
        text += "event: " + type + "\\ndata: " + data + "\\n\\n";
      }
      if (text) for (const history of replay.histories) history.enqueue(encoder.encode(text));
      replay.runningSeen = Math.max(replay.runningSeen, document.querySelectorAll(".run-view .state--running[data-path]").length);
      if (replay.sent < frames.length) return;
      clearInterval(timer);
      for (const history of replay.histories) history.close();
      replay.histories.clear();
      replay.endedAt = Date.now();
      resolve(replay.startedAt);
    };
    const timer = setInterval(send, 4);
  });
})()`;
}

async function replayRun(browser: Browser, engine: BenchEngine, id: string, rate: number): Promise<RunPageResult["replay"]> {
  const final = await engine.api<RunBody>("GET", `/runs/${id}`);
  const { events, frames } = await recordedEvents(engine, id);
  const due = schedule(events, rate);
  const firstChange = events.findIndex((event) => isTaskChange(event.type));
  // Before the replay starts, the run has started and no task has.
  let startedAt: number | undefined;
  const sentBy = (now: number) => (startedAt === undefined ? firstChange : due.filter((ms) => startedAt! + ms <= now).length);

  const ui = await logIn(browser, engine);
  await ui.context.addInitScript(MARKS);
  await ui.context.addInitScript(replayScript(id, frames.slice(0, firstChange).join("")));
  const { page } = ui;
  const runPath = `/api/v1/runs/${id}`;
  await page.route(
    (url) => url.pathname === runPath,
    (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(runAt(final, events, sentBy(Date.now()))) }),
  );
  await page.goto(`${engine.url}/runs/${id}`);
  await settled(page);
  const shown = (await page.evaluate("performance.now()")) as number;
  const sent = events.map((event) => [event.type, JSON.stringify({ ...event, run_id: id })]);
  const { trace } = await traced(page, async () => {
    startedAt = (await page.evaluate(`window.__replay.start(${JSON.stringify(sent)}, ${JSON.stringify(due)})`)) as number;
    await page.waitForFunction(() => (globalThis as unknown as { __bench?: Marks }).__bench?.succeededAt != null, undefined, { timeout: 120_000 });
    await page.waitForTimeout(500);
  });
  const marks = (await page.evaluate("window.__bench")) as Marks;
  const played = (await page.evaluate("window.__replay")) as { sent: number; startedAt: number; endedAt: number; runningSeen: number };
  await ui.context.close();
  const changes = events.filter((event) => isTaskChange(event.type)).length;
  const seconds = (played.endedAt - played.startedAt) / 1000;
  const following = marks.tasks.filter(([start]) => start >= shown);
  return {
    requestedPerSecond: rate,
    deliveredPerSecond: changes / seconds,
    seconds,
    longestTaskMs: longest(following),
    longestFrameMs: longest(marks.frames, shown),
    longestFrameWhy: longestFrameWhy(marks.frames, shown),
    traced: longestTraced(trace),
    longTasks: following.length,
    lagMs: marks.succeededAt! - played.endedAt,
    runningSeen: played.runningSeen,
  };
}
