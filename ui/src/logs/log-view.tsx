/**
 * A task's log: stdout, stderr or both in the order printed, with line
 * numbers, times, terminal colours, search over the whole log, follow while
 * the task runs, a link to any line (?line=N), and download. Smooth with a
 * million lines: only the rows on screen are in the page, and lines are read
 * from the API by line number as they come into view (line-cache.ts).
 *
 * URL: ?line=N (1-based) selects a line and opens the log there;
 * ?stream=stdout|stderr shows one stream (its own line numbers).
 */
import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/api-error";
import { ErrorMessage } from "../components/error-message";
import { digits } from "./digits";
import { currentPath, currentQuery, setQuery } from "../router/router";
import { showUtc } from "../time/zone-choice";
import { LineCache } from "./line-cache";
import { lineIn as lineOf, viewIn as viewOf } from "./log-early";
import type { StreamView } from "./log-api";
import { LogDownload } from "./log-download";
import { showTimestamps, wrapLines } from "./log-prefs";
import { LogSearch } from "./log-search";
import { clockTime, fullTime } from "./log-time";
import { LogViewport, type ViewportHandle } from "./log-viewport";
import { Scanner } from "./scanner";
import { useLiveLog } from "./live-log";
import { SearchBox } from "./search-box";
import "../styles/logs.css";

export interface LogViewProps {
  runId: string;
  task: string;
  attempt?: number;
  live: boolean;
}

const VIEWS: { value: StreamView; label: string }[] = [
  { value: "all", label: "Both" },
  { value: "stdout", label: "stdout" },
  { value: "stderr", label: "stderr" },
];

export function LogView(props: LogViewProps) {
  const view = viewOf(currentQuery.value);
  // A new attempt (when none was asked for) is a new log: everything starts over.
  const [generation, setGeneration] = useState(0);
  return <LogPanel key={`${props.runId}\n${props.task}\n${props.attempt ?? ""}\n${view}\n${generation}`} {...props} view={view} onNewAttempt={() => setGeneration((n) => n + 1)} />;
}

function LogPanel({ runId, task, attempt, live, view, onNewAttempt }: LogViewProps & { view: StreamView; onNewAttempt: () => void }) {
  const target = useMemo(() => ({ runId, task, attempt, view }), []);
  const cache = useMemo(() => new LineCache(target), []);
  const scanner = useMemo(() => new Scanner(), []);
  const search = useMemo(() => new LogSearch(target, scanner), []);
  const download = useMemo(() => new LogDownload(target, scanner), []);
  const viewport = useRef<ViewportHandle | null>(null);
  const searchInput = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const query = currentQuery.value;
  const selected = lineOf(query);
  const [follow, setFollow] = useState(live && selected === undefined);
  const total = cache.total.value;
  const utc = showUtc.value;
  const timestamps = showTimestamps.value;
  const wrap = wrapLines.value;

  // Before the first paint: the request goes out a frame sooner.
  useLayoutEffect(() => {
    void cache.open(selected !== undefined ? { kind: "line", index: selected } : live ? { kind: "end" } : { kind: "start" });
    return () => {
      cache.dispose();
      search.dispose();
      download.cancel();
      scanner.dispose();
    };
  }, []);

  // Where the view opens (fixed at mount: a later ?line= comes from a click on a line already shown).
  const [start] = useState<number | "end">(() => (selected !== undefined ? selected : live ? "end" : 0));

  // A live task's lines: read as they come, and searched.
  useLiveLog({
    runId,
    task,
    attempt,
    view,
    live,
    onLines: () => void cache.refresh().then(() => search.extend()),
    onNewAttempt,
  });
  // The task has ended: its last lines.
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live) void cache.refresh().then(() => search.extend());
    wasLive.current = live;
    if (!live) setFollow(false);
  }, [live]);

  const time = useMemo(() => (timestamps ? (ts: number) => ({ short: clockTime(ts, utc), full: fullTime(ts, utc) }) : undefined), [timestamps, utc]);

  // This page's URL with line= last, so each row's link is one string joined.
  const lineBase = useMemo(() => {
    const params = new URLSearchParams(query);
    params.delete("line");
    const rest = params.toString();
    return `${currentPath.value}?${rest ? `${rest}&` : ""}line=`;
  }, [query]);
  const lineHref = (number: number) => lineBase + number;

  const select = (index: number | undefined) => setQuery({ line: index === undefined ? undefined : String(index + 1) });

  const goToMatch = (line: number | undefined) => {
    if (line === undefined) return;
    setFollow(false);
    if (!viewport.current?.visible(line)) viewport.current?.toLine(line);
  };

  const stepMatch = (direction: 1 | -1) => {
    const current = search.current.peek();
    const from = current >= 0 ? search.matches[current]! : (viewport.current?.topLine() ?? 0) - (direction === 1 ? 1 : 0);
    goToMatch(search.step(direction, from));
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "f") {
      event.preventDefault();
      searchInput.current?.focus();
      searchInput.current?.select();
    } else if (event.key === "F3" || ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "g")) {
      event.preventDefault();
      stepMatch(event.shiftKey ? -1 : 1);
    } else if (event.key === "/" && onLogRegion(event)) {
      event.preventDefault();
      searchInput.current?.focus();
    } else if (event.key === "Escape" && onLogRegion(event)) {
      if (search.query.peek() !== "") search.set("");
      else if (selected !== undefined) select(undefined);
    }
  };

  // A task of a live run that has not started has no log yet (404): its first lines will come by the run's stream.
  const loadError = cache.error.value;
  const notStarted = live && loadError instanceof ApiError && loadError.status === 404;
  const downloading = download.progress.value;
  const currentIndex = search.current.value;
  search.version.value;
  const currentMatch = currentIndex >= 0 ? search.matches[currentIndex] : undefined;
  const fileName = `${runId}-${task.replace(/[^\w.-]+/g, "_")}${attempt !== undefined ? `-attempt${attempt}` : ""}${view === "all" ? "" : `-${view}`}.log`;

  return (
    <section class="log" aria-label={`Log of ${task}`} onKeyDown={onKeyDown}>
      <div class="log__bar">
        <div class="segmented" role="group" aria-label="Streams">
          {VIEWS.map((option) => (
            <button
              key={option.value}
              type="button"
              class="segmented__option"
              aria-pressed={view === option.value}
              onClick={() => setQuery({ stream: option.value === "all" ? undefined : option.value, line: undefined })}
            >
              {option.label}
            </button>
          ))}
        </div>
        <label class="log__check">
          <input type="checkbox" checked={timestamps} onChange={(event) => (showTimestamps.value = event.currentTarget.checked)} /> Timestamps
        </label>
        <label class="log__check">
          <input type="checkbox" checked={wrap} onChange={(event) => (wrapLines.value = event.currentTarget.checked)} /> Wrap
        </label>
        <SearchBox search={search} input={searchInput} onStep={stepMatch} />
        <div class="log__moves">
          <button type="button" class="button button--small" onClick={() => (setFollow(false), viewport.current?.toStart())} aria-keyshortcuts="Home">
            Start
          </button>
          <button type="button" class="button button--small" onClick={() => viewport.current?.toEnd()} aria-keyshortcuts="End">
            End
          </button>
          {live && (
            <button type="button" class="button button--small" aria-pressed={follow} onClick={() => setFollow(!follow)} title="Keep showing the newest lines">
              Follow
            </button>
          )}
          {downloading ? (
            <button type="button" class="button button--small" onClick={() => download.cancel()}>
              Cancel download ({downloading.of ? `${Math.floor((100 * downloading.lines) / Math.max(1, downloading.of))}%` : digits(downloading.lines)})
            </button>
          ) : (
            <button
              type="button"
              class="button button--small"
              disabled={total === undefined || total === 0}
              onClick={() => download.start({ total, timestamps, utc, fileName })}
              title={`Save the whole log as ${fileName}`}
            >
              Download
            </button>
          )}
        </div>
      </div>
      {cache.error.value !== undefined && !notStarted && <ErrorMessage error={cache.error.value} title="The log could not be read:" />}
      {download.error.value !== undefined && <ErrorMessage error={download.error.value} title="The download stopped:" />}
      <div class="log__frame">
        {total !== undefined && (
        <LogViewport
          start={start === "end" ? "end" : Math.min(start, Math.max(0, total - 1))}
          cache={cache}
          search={search}
          wrap={wrap}
          time={time}
          showStream={view === "all"}
          selected={selected}
          currentMatch={currentMatch}
          onSelect={(index) => select(index === selected ? undefined : index)}
          lineHref={lineHref}
          follow={follow && live}
          onAtEnd={(atEnd) => live && setFollow(atEnd)}
          handle={viewport}
          label={`${task}: ${view === "all" ? "stdout and stderr" : view}`}
          describedBy={hintId}
        />
        )}
        {total === undefined && cache.error.value === undefined && <p class="log__empty">Loading the log…</p>}
        {notStarted && <p class="log__empty">Not started yet: its lines show here as it prints them.</p>}
        {total === 0 && <p class="log__empty">{live ? "No lines yet." : view === "all" ? "This task printed nothing." : `Nothing on ${view}.`}</p>}
      </div>
      <div class="log__status">
        <span>
          {total === undefined ? "" : `${digits(total)} ${total === 1 ? "line" : "lines"}`}
          {live && <span class="log__live">{`${total === undefined ? "" : " · "}${follow ? "live, following" : "live"}`}</span>}
        </span>
        {total !== undefined && total > 0 && (
          <GoToLine
            total={total}
            onGo={(index) => {
              setFollow(false);
              select(index);
              viewport.current?.toLine(index);
            }}
          />
        )}
        {selected !== undefined && <CopyLineLink number={selected + 1} href={lineHref(selected + 1)} />}
        <span id={hintId} class="log__hint muted">
          {`PageUp, PageDown, Home, End to move · ${isMac() ? "⌘F" : "Ctrl+F"} to search · Esc clears`}
        </span>
      </div>
    </section>
  );
}

/** The key was pressed on the log itself (not in the search box or on a button). */
function onLogRegion(event: KeyboardEvent): boolean {
  return event.target instanceof HTMLElement && event.target.classList.contains("log__scroller");
}

function isMac(): boolean {
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

/** A line by its number: shown, selected, and in the URL (the keyboard's way to a line's link). */
function GoToLine({ total, onGo }: { total: number; onGo: (index: number) => void }) {
  const [value, setValue] = useState("");
  const id = useId();
  return (
    <form
      class="log__goto"
      onSubmit={(event) => {
        event.preventDefault();
        const number = Number(value);
        if (Number.isSafeInteger(number) && number >= 1) onGo(Math.min(number, total) - 1);
      }}
    >
      <label for={id}>Line</label>
      <input id={id} class="log__goto-input" type="number" inputMode="numeric" min={1} max={total} value={value} onInput={(event) => setValue(event.currentTarget.value)} />
      <button type="submit" class="button button--small">
        Go
      </button>
    </form>
  );
}

/** "Copy link to line N": the page's URL with ?line=N, to the clipboard (shown to copy by hand where that is refused). */
function CopyLineLink({ number, href }: { number: number; href: string }) {
  const [state, setState] = useState<"idle" | "copied" | "manual">("idle");
  const url = `${location.origin}${href}`;
  return (
    <span class="log__link">
      <button
        type="button"
        class="button button--quiet button--small"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(url);
            setState("copied");
            setTimeout(() => setState("idle"), 2000);
          } catch {
            setState("manual");
          }
        }}
      >
        {state === "copied" ? "Link copied" : `Copy link to line ${digits(number)}`}
      </button>
      {state === "manual" && <input class="log__link-text" readOnly value={url} aria-label="The link, to copy by hand" ref={(input) => input?.select()} onBlur={() => setState("idle")} />}
    </span>
  );
}
