/**
 * A running task's new lines: the run's own event stream
 * (GET /runs/{id}/events?logs=new; `event: log` per line written from now
 * on) says that lines came, and the view reads them by line number, so line
 * numbers always agree with the API's count. Reads are at most one per
 * REFRESH_MS however fast the task prints.
 */
import { useEffect, useRef } from "preact/hooks";
import { API_BASE, segment } from "../api/client";
import type { StreamView } from "./log-api";

const REFRESH_MS = 200;

interface LogEventData {
  task?: unknown;
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

export function useLiveLog(options: LiveLogOptions): void {
  const latest = useRef(options);
  latest.current = options;
  const { runId, live } = options;
  useEffect(() => {
    if (!live) return;
    const source = new EventSource(`${API_BASE}/runs/${segment(runId)}/events?logs=new`, { withCredentials: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    let shownAttempt: number | undefined;
    const fire = () => {
      timer = undefined;
      last = Date.now();
      latest.current.onLines();
    };
    const soon = () => {
      if (timer !== undefined) return;
      timer = setTimeout(fire, Math.max(0, last + REFRESH_MS - Date.now()));
    };
    source.addEventListener("log", (message: MessageEvent<string>) => {
      const { task, attempt, view } = latest.current;
      let data: LogEventData;
      try {
        data = JSON.parse(message.data) as LogEventData;
      } catch {
        return;
      }
      if (data.task !== task) return;
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
    });
    // After a reconnection, lines written while the stream was down are read too.
    source.addEventListener("open", soon);
    // The stream ends after run.finished: left open, EventSource would connect again and again.
    source.addEventListener("run.finished", () => {
      source.close();
      soon();
    });
    return () => {
      source.close();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [runId, live]);
}
