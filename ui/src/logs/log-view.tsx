/**
 * A STUB of the log viewer, so the run page can show logs until the real
 * one (virtualized, followable, searchable; ui/src/logs/, another helper's)
 * replaces this file. Its interface is what the run page relies on:
 * LogViewProps and LogView. This stub reads the task's log
 * (GET /runs/{id}/tasks/{task}/logs, NDJSON, page by page), keeps the last
 * 500 lines, shows them in a <pre>, and while `live` asks again every 2 s.
 */
import { useEffect, useState } from "preact/hooks";
import { apiUrl, segment } from "../api/client";

export interface LogViewProps {
  runId: string;
  task: string;
  attempt?: number;
  live: boolean;
}

interface Line {
  ts: number;
  stream: "stdout" | "stderr";
  line: string;
}

const KEEP = 500;
const PAGE = 10_000;
const MAX_PAGES = 50;

async function readPage(props: LogViewProps, cursor: string | undefined, signal: AbortSignal): Promise<{ lines: Line[]; next: string | null }> {
  const query: Record<string, string | number | undefined> = { limit: PAGE, attempt: props.attempt, cursor };
  const response = await fetch(apiUrl(`/runs/${segment(props.runId)}/tasks/${props.task.split("/").map(segment).join("/")}/logs`, query), { credentials: "same-origin", signal });
  const text = await response.text();
  if (!response.ok) {
    let message = `The log could not be read (HTTP ${response.status}).`;
    try {
      const body = JSON.parse(text) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not an error body: keep the generic message.
    }
    throw new Error(message);
  }
  const lines: Line[] = [];
  for (const row of text.split("\n")) {
    if (!row) continue;
    try {
      lines.push(JSON.parse(row) as Line);
    } catch {
      // A torn line: skipped.
    }
  }
  return { lines, next: response.headers.get("spire-next-cursor") };
}

export function LogView(props: LogViewProps) {
  const [lines, setLines] = useState<Line[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLines(undefined);
    setError(null);
    const pull = async () => {
      // A stub: each look reads the log again from its start.
      let kept: Line[] = [];
      let cursor: string | undefined;
      try {
        for (let page = 0; page < MAX_PAGES; page++) {
          const { lines: more, next } = await readPage(props, cursor, abort.signal);
          kept = [...kept, ...more].slice(-KEEP);
          if (next === null) break;
          cursor = next;
        }
        setLines(kept);
        setError(null);
      } catch (failure) {
        if (abort.signal.aborted) return;
        setError(failure instanceof Error ? failure.message : "The log could not be read.");
      }
      if (props.live && !abort.signal.aborted) timer = setTimeout(pull, 2_000);
    };
    void pull();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [props.runId, props.task, props.attempt, props.live]);

  if (error)
    return (
      <p class="notice notice--error" role="alert">
        {error}
      </p>
    );
  if (!lines) return <p class="loading">Loading the log…</p>;
  if (lines.length === 0) return <p class="muted">No output{props.live ? " yet" : ""}.</p>;
  return (
    <pre class="log-stub" tabIndex={0} aria-label={`Log of ${props.task}, the last ${lines.length} lines`}>
      {lines.map((line) => `${line.stream === "stderr" ? "! " : "  "}${line.line}`).join("\n")}
    </pre>
  );
}
