/**
 * The one engine-wide event stream every page listens to. Updates are
 * batched (a page re-renders once per batch, not once per event), and held
 * while the tab is hidden or while a menu or dialog is open (hold/release),
 * so what a person is looking at or typing into does not move under them.
 * The stream reconnects with backoff; `connected` tells the layout when the
 * engine stopped answering, and the first batch after it is back says
 * resync so pages reload what they show.
 */
import { signal } from "@preact/signals";
import { API_BASE } from "../api/client";
import type { WorkerInfo } from "../api/types";
import { backoffDelay } from "./backoff";
import type { LiveBatch, PipelinesChange, RunEvent } from "./types";

/** Events gathered this long are delivered together. */
const BATCH_MS = 100;
/** More than this held back: drop them, and ask pages to reload instead. */
const MAX_HELD = 5_000;

/** false while the stream is down (after it had been up, or after a first attempt failed). */
export const connected = signal(true);

type Listener = (batch: LiveBatch) => void;

const listeners = new Set<Listener>();
let source: EventSource | undefined;
let lastSeq: number | undefined;
let failures = 0;
let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
let flushTimer: ReturnType<typeof setTimeout> | undefined;
let holds = 0;
let pending: LiveBatch = emptyBatch();
let running = false;

function emptyBatch(): LiveBatch {
  return { events: [], pipelines: [], missed: [], workers: [], resync: false };
}

function isHeld(): boolean {
  return holds > 0 || document.visibilityState === "hidden";
}

function queued(): number {
  return pending.events.length + pending.pipelines.length + pending.missed.length + pending.workers.length;
}

function schedule(): void {
  if (isHeld() || flushTimer !== undefined) return;
  flushTimer = setTimeout(flush, BATCH_MS);
}

function flush(): void {
  flushTimer = undefined;
  if (isHeld()) return;
  if (queued() === 0 && !pending.resync) return;
  const batch = pending;
  pending = emptyBatch();
  for (const listener of [...listeners]) {
    try {
      listener(batch);
    } catch (error) {
      // One page's mistake must not stop the others from updating.
      console.error("live event listener failed", error);
    }
  }
}

function add(apply: (batch: LiveBatch) => void): void {
  if (pending.resync) return; // a reload is coming anyway
  apply(pending);
  if (queued() > MAX_HELD) pending = { ...emptyBatch(), resync: true };
  schedule();
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

function onRunEvent(message: MessageEvent<string>): void {
  const event = parse(message.data) as RunEvent | undefined;
  if (!event || typeof event.run_id !== "string") return;
  if (typeof event.seq === "number") lastSeq = Math.max(lastSeq ?? 0, event.seq);
  add((batch) => batch.events.push(event));
}

/**
 * EventSource hands over only the event names it is asked for: these are the
 * run event types the engine records (frames without a name arrive as
 * "message" and are taken as run events too). A type added later reaches
 * pages once it is listed here.
 */
const KNOWN_RUN_TYPES = [
  "run.created",
  "run.started",
  "run.start",
  "run.stopping",
  "run.cancel",
  "run.retry",
  "run.resumed",
  "run.finished",
  "task.started",
  "task.finished",
  "task.interrupted",
  "task.retry_scheduled",
  "task.kept",
  "task.artifacts",
  "task.skipped",
  "task.canceled",
];

function open(): void {
  const url = `${API_BASE}/events${lastSeq !== undefined ? `?after=${lastSeq}` : ""}`;
  const stream = new EventSource(url, { withCredentials: true });
  source = stream;
  stream.addEventListener("open", () => {
    const wasDown = !connected.value || failures > 0;
    failures = 0;
    connected.value = true;
    if (wasDown) add((batch) => (batch.resync = true));
  });
  stream.addEventListener("error", () => {
    // EventSource retries by itself, but not after an HTTP error, and at a fixed pace: we do it, resuming after the last seq.
    stream.close();
    if (source !== stream) return;
    source = undefined;
    connected.value = false;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (running) open();
    }, backoffDelay(failures++));
  });
  for (const type of KNOWN_RUN_TYPES) stream.addEventListener(type, onRunEvent);
  // Frames without an event: name, or with a type this list does not know yet, still count as run events.
  stream.addEventListener("message", onRunEvent);
  stream.addEventListener("pipelines", (message) => {
    const change = parse(message.data) as PipelinesChange | undefined;
    if (change) add((batch) => batch.pipelines.push(change));
  });
  stream.addEventListener("missed", (message) => {
    const missed = parse(message.data);
    if (missed !== undefined) add((batch) => batch.missed.push(missed));
  });
  stream.addEventListener("workers", (message) => {
    const worker = parse(message.data) as WorkerInfo | undefined;
    if (worker && typeof worker.name === "string") add((batch) => batch.workers.push(worker));
  });
  stream.addEventListener("reset", () => {
    pending = { ...emptyBatch(), resync: true };
    schedule();
  });
}

/** Starts the stream (once logged in). */
export function startLiveEvents(): void {
  if (running) return;
  running = true;
  open();
}

/** Stops it (at logout). */
export function stopLiveEvents(): void {
  running = false;
  source?.close();
  source = undefined;
  if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
  reconnectTimer = undefined;
  lastSeq = undefined;
  failures = 0;
  connected.value = true;
  pending = emptyBatch();
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Holds updates back (while a menu, dialog or form is open); the returned
 * function releases this hold, and what was held arrives as one batch once
 * nothing holds any more. Safe to call twice.
 */
export function hold(): () => void {
  holds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
    schedule();
  };
}

document.addEventListener("visibilitychange", () => schedule());
export type { LiveBatch, PipelinesChange, RunEvent } from "./types";
