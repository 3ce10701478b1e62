/**
 * A big graph's layout, made off the page's main thread: in a worker
 * (layout-worker.ts) made at the first request and kept while the page
 * uses it, or, where a worker cannot be made or fails, in a task of its
 * own in the page. Either way the answer comes in a later task, so that
 * laying out 1,000 boxes (30–60 ms here) never joins the page's other work
 * in one long task.
 */
import { layoutGraph, withLookups, type GraphLayout } from "./layout";
import { nextTask } from "./later";
import type { LayoutAnswer, LayoutRequest } from "./layout-worker";
import type { GraphModel } from "./model";

/** With no request for this long, the worker ends (a new one is made when needed). */
const IDLE_END_MS = 60_000;

interface Pending {
  model: GraphModel;
  open: string[];
  done: (layout: GraphLayout) => void;
}

/** undefined: not made yet; null: none to be had (lay out in the page). */
let worker: Worker | undefined | null;
let nextId = 1;
const pending = new Map<number, Pending>();
/** Which models the worker holds (it keeps the last one sent). */
const modelIds = new WeakMap<GraphModel, number>();
let workerModel: GraphModel | undefined;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** Lays `model` out with the `open` groups and arrays open; `done` is called in a later task. Returns a cancel. */
export function layoutLater(model: GraphModel, open: string[], done: (layout: GraphLayout) => void): () => void {
  const id = nextId++;
  const entry: Pending = { model, open, done };
  pending.set(id, entry);
  const made = ensureWorker();
  if (made) send(made, id, entry);
  else inPage(id, entry);
  return () => void pending.delete(id);
}

function send(to: Worker, id: number, entry: Pending): void {
  clearTimeout(idleTimer);
  let modelId = modelIds.get(entry.model);
  if (modelId === undefined) modelIds.set(entry.model, (modelId = nextId++));
  const request: LayoutRequest = { id, modelId, open: entry.open };
  if (workerModel !== entry.model) {
    request.model = entry.model;
    workerModel = entry.model;
  }
  to.postMessage(request);
}

function inPage(id: number, entry: Pending): void {
  nextTask(() => {
    if (!pending.has(id)) return;
    const opened = new Set(entry.open);
    const layout = layoutGraph(entry.model, (path) => opened.has(path));
    nextTask(() => finish(id, layout));
  });
}

function finish(id: number, layout: GraphLayout): void {
  const entry = pending.get(id);
  if (!entry) return;
  pending.delete(id);
  entry.done(layout);
}

function ensureWorker(): Worker | undefined {
  if (worker === undefined) {
    try {
      const made = new Worker(new URL("./layout-worker.ts", import.meta.url), { type: "module", name: "spire-graph-layout" });
      made.onmessage = ({ data }: MessageEvent<LayoutAnswer>) => {
        const entry = pending.get(data.id);
        if (pending.size <= 1) {
          clearTimeout(idleTimer);
          idleTimer = setTimeout(endWorker, IDLE_END_MS);
        }
        if (!entry) return;
        if ("error" in data) {
          // Not expected (the model went missing): lay this one out in the page.
          workerModel = undefined;
          inPage(data.id, entry);
        } else finish(data.id, withLookups(entry.model, data.layout));
      };
      // The worker did not load (or broke): what it was doing is done in the page, and so is what comes next.
      made.onerror = () => {
        made.terminate();
        worker = null;
        for (const [id, entry] of pending) inPage(id, entry);
      };
      worker = made;
    } catch {
      worker = null;
    }
  }
  return worker ?? undefined;
}

function endWorker(): void {
  if (!worker || pending.size > 0) return;
  worker.terminate();
  worker = undefined;
  workerModel = undefined;
}
