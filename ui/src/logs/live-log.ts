/**
 * A running task's new lines. The run's own event stream
 * (GET /runs/{id}/events?logs=new: an `event: log` per line written from now
 * on) says that lines came, and the view reads them by line number, so line
 * numbers always agree with the API's count; reads are at most one per
 * REFRESH_MS however fast the task prints.
 *
 * A task that prints thousands of lines a second would make that stream a
 * firehose the page spends all its time receiving (a million lines froze
 * the page for most of a second at a time): past FIREHOSE lines a second
 * the stream is opened again without log lines (?logs=none, which still
 * says when the task or the run ends) and the log is read every REFRESH_MS
 * instead, until the task ends.
 */
import { useEffect, useRef } from "preact/hooks";
import { API_BASE, segment } from "../api/client";
import type { StreamView } from "./log-api";

const REFRESH_MS = 250;
/** Log events in one second past which the stream stops carrying lines. */
const FIREHOSE = 300;

interface EventData {
  task?: unknown;
  task_path?: unknown;
  attempt?: unknown;
  stream?: unknown;
}

export interface LiveLogOptions {
  runId: string;
  task: string;
  attempt: number | undefined;
  view: StreamView;
  live: boolean;
  /** New lines are there to read. */
  onLines: () => void;
  /** Lines of another attempt than the one shown came (a retry began, and no attempt was asked for). */
  onNewAttempt: () => void;
}

function parse(data: string): EventData | undefined {
  try {
    return JSON.parse(data) as EventData;
  } catch {
    return undefined;
  }
}

export function useLiveLog(options: LiveLogOptions): void {
  const latest = useRef(options);
  latest.current = options;
  const { runId, live } = options;
  useEffect(() => {
    if (!live) return;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let poller: ReturnType<typeof setInterval> | undefined;
    let last = 0;
    let shownAttempt: number | undefined;
    let windowStart = 0;
    let inWindow = 0;
    /** The last stored event's seq (log lines carry none): a stream opened again starts after it. */
    let lastSeq = "";

    const fire = () => {
      timer = undefined;
      last = Date.now();
      latest.current.onLines();
    };
    const soon = () => {
      if (timer !== undefined) return;
      timer = setTimeout(fire, Math.max(0, last + REFRESH_MS - Date.now()));
    };
    const stop = () => {
      source?.close();
      if (poller !== undefined) clearInterval(poller);
      poller = undefined;
      soon();
    };

    const onLog = (message: MessageEvent<string>) => {
      if (message.lastEventId) lastSeq = message.lastEventId;
      const now = Date.now();
      if (now - windowStart > 1000) {
        windowStart = now;
        inWindow = 0;
      }
      if (++inWindow > FIREHOSE && poller === undefined) return poll();
      const { task, attempt, view } = latest.current;
      const data = parse(message.data);
      if (!data || data.task !== task) return;
      if (attempt !== undefined && data.attempt !== attempt) return;
      if (attempt === undefined && typeof data.attempt === "number") {
        if (shownAttempt !== undefined && data.attempt > shownAttempt) {
          shownAttempt = data.attempt;
          latest.current.onNewAttempt();
          return;
        }
        shownAttempt = data.attempt;
      }
      if (view !== "all" && data.stream !== view) return;
      soon();
    };

    const onTaskEvent = (message: MessageEvent<string>) => {
      const { task, attempt } = latest.current;
      const data = parse(message.data);
      if (!data || data.task_path !== task) return;
      if (message.type === "task.started") {
        if (attempt === undefined && typeof data.attempt === "number" && shownAttempt !== undefined && data.attempt > shownAttempt) latest.current.onNewAttempt();
      }
      // The task ended: its last lines, and no more reading.
      else if (message.type !== "task.started" && (attempt === undefined || data.attempt === attempt)) stop();
    };

    const open = (logs: "new" | "none") => {
      source?.close();
      const after = logs === "none" && lastSeq !== "" ? `&after=${encodeURIComponent(lastSeq)}` : "";
      const stream = new EventSource(`${API_BASE}/runs/${segment(runId)}/events?logs=${logs}${after}`, { withCredentials: true });
      source = stream;
      if (logs === "new") stream.addEventListener("log", onLog);
      // After a (re)connection, lines written while the stream was down are read too.
      stream.addEventListener("open", soon);
      // Only once lines are polled, and after the events already seen (an earlier attempt's end does not end this one).
      if (logs === "none") for (const type of ["task.started", "task.finished", "task.interrupted"]) stream.addEventListener(type, onTaskEvent);
      // The stream ends after run.finished: left open, EventSource would connect again and again.
      stream.addEventListener("run.finished", stop);
    };

    /** Too many lines to be told of each: read the log every REFRESH_MS instead. */
    const poll = () => {
      open("none");
      poller = setInterval(soon, REFRESH_MS);
      soon();
    };

    open("new");
    return () => {
      source?.close();
      if (timer !== undefined) clearTimeout(timer);
      if (poller !== undefined) clearInterval(poller);
    };
  }, [runId, live]);
}
