/**
 * The page's main-thread tasks as Chromium's tracing records them: each
 * task's wall time and the CPU time its thread actually got. On a busy
 * machine (this one shares two cores with other work) a task can last far
 * longer than the work in it: the thread waited for a core. A long task of
 * little CPU is the machine's; one of much CPU is the page's.
 *
 * Also the page's user-timing marks (performance.mark), on the same clock,
 * so that a phase can be told apart ("bench:shown").
 */
import type { Page } from "playwright-core";

export interface TracedTask {
  /** ms, trace clock. */
  start: number;
  wall: number;
  cpu: number;
}

export interface Trace {
  tasks: TracedTask[];
  /** Name → ms on the trace clock (the last mark of each name). */
  marks: Map<string, number>;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  cat?: string;
  args?: { name?: string };
}

/** Traces `run` (toplevel tasks and user timing only: cheap); the busiest renderer main thread's tasks. */
export async function traced<T>(page: Page, run: () => Promise<T>): Promise<{ result: T; trace: Trace }> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on("Tracing.dataCollected", (message) => void events.push(...(message.value as unknown as TraceEvent[])));
  const complete = new Promise<void>((resolve) => cdp.once("Tracing.tracingComplete", () => resolve()));
  await cdp.send("Tracing.start", { traceConfig: { includedCategories: ["toplevel", "blink.user_timing"], excludedCategories: ["*"] }, transferMode: "ReportEvents" });
  let result: T;
  try {
    result = await run();
  } finally {
    await cdp.send("Tracing.end");
    await complete;
    await cdp.detach();
  }
  return { result, trace: mainThread(events) };
}

function mainThread(events: TraceEvent[]): Trace {
  const mains = new Set(events.filter((event) => event.ph === "M" && event.name === "thread_name" && event.args?.name === "CrRendererMain").map((event) => `${event.pid}:${event.tid}`));
  // Every complete event at the top of a renderer main thread's stack is a task (a scheduler task, a microtask checkpoint run on its own, a message from the browser); those inside it are part of it.
  const isTask = (event: TraceEvent) => event.ph === "X" && mains.has(`${event.pid}:${event.tid}`);
  const counts = new Map<string, number>();
  for (const event of events) if (isTask(event)) counts.set(`${event.pid}:${event.tid}`, (counts.get(`${event.pid}:${event.tid}`) ?? 0) + (event.dur ?? 0));
  const busiest = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  const tasks: TracedTask[] = [];
  for (const event of events.filter((event) => isTask(event) && `${event.pid}:${event.tid}` === busiest).sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0))) {
    // Nested tasks (a task run inside another) count once, as the outer one.
    const last = tasks[tasks.length - 1];
    if (last && event.ts / 1000 < last.start + last.wall) continue;
    // The microtasks a task left are run right after it, as an event of their own: part of that task (as the Long Tasks API counts it).
    if (last && event.name.includes("MicrotaskCheckpoint") && event.ts / 1000 - (last.start + last.wall) < 0.1) {
      last.wall = event.ts / 1000 + (event.dur ?? 0) / 1000 - last.start;
      last.cpu += (event.tdur ?? event.dur ?? 0) / 1000;
      continue;
    }
    tasks.push({ start: event.ts / 1000, wall: (event.dur ?? 0) / 1000, cpu: (event.tdur ?? event.dur ?? 0) / 1000 });
  }
  const marks = new Map<string, number>();
  for (const event of events) if (event.cat?.includes("blink.user_timing") && (event.ph === "R" || event.ph === "I" || event.ph === "n" || event.ph === "b")) marks.set(event.name, event.ts / 1000);
  return { tasks, marks };
}

/** The longest task (by wall time) in [from, to), with the CPU it got; and the most CPU any one task took. */
export function longestTraced(trace: Trace, from = -Infinity, to = Infinity): { wall: number; cpuOfLongest: number; mostCpu: number } {
  const inside = trace.tasks.filter((task) => task.start >= from && task.start < to);
  const longest = inside.reduce<TracedTask | undefined>((best, task) => (!best || task.wall > best.wall ? task : best), undefined);
  return { wall: longest?.wall ?? 0, cpuOfLongest: longest?.cpu ?? 0, mostCpu: Math.max(0, ...inside.map((task) => task.cpu)) };
}
