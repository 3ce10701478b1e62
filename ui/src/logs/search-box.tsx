/**
 * The log's search box: the search starts a moment after typing stops (or
 * at Enter); Enter and Shift+Enter go to the next and previous match, Escape
 * clears. The count says how far the search has read while it reads.
 */
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorMessage } from "../components/error-message";
import { digits } from "./digits";
import { MAX_MATCHES, type LogSearch } from "./log-search";

const TYPING_MS = 250;

export function SearchBox({ search, input, onStep }: { search: LogSearch; input: RefObject<HTMLInputElement | null>; onStep: (direction: 1 | -1) => void }) {
  const [text, setText] = useState(search.query.peek());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const jumped = useRef(false);
  search.version.value;
  const query = search.query.value;
  const count = search.count;
  const searching = search.searching.value;
  const scanned = search.scanned.value;
  const capped = search.capped.value;
  const current = search.current.value;

  useEffect(() => () => clearTimeout(timer.current), []);

  // The first match found is shown at once, as a browser's find does.
  useEffect(() => {
    if (query === "") jumped.current = false;
    else if (!jumped.current && count > 0) {
      jumped.current = true;
      onStep(1);
    }
  }, [query, count]);

  const start = (value: string) => {
    clearTimeout(timer.current);
    jumped.current = false;
    if (value !== search.query.peek()) search.set(value);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Enter") {
      event.preventDefault();
      if (text !== search.query.peek()) start(text);
      else onStep(event.shiftKey ? -1 : 1);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (text !== "") {
        setText("");
        start("");
      } else {
        // Back to the log.
        (input.current?.closest(".log")?.querySelector(".log__scroller") as HTMLElement | null)?.focus();
      }
    }
  };

  let status = "";
  if (query !== "") {
    const found = `${digits(count)}${capped ? "+" : ""}`;
    status = count === 0 ? (searching ? "Searching…" : "No match") : `${current >= 0 ? `${digits(current + 1)} of ` : ""}${found} ${count === 1 ? "line" : "lines"}`;
    if (searching && count > 0) status += ` (reading line ${digits(scanned)}…)`;
  }
  // Said once the search is done (not at every page it reads), and at each move.
  const announced = query === "" || searching ? "" : capped ? `More than ${digits(MAX_MATCHES)} lines match; only the first are listed.` : status;

  return (
    <div class="log__search" role="search">
      <input
        ref={input}
        type="search"
        class="log__search-input"
        placeholder="Search the log"
        aria-label="Search the whole log"
        aria-keyshortcuts="Control+F Meta+F"
        value={text}
        onInput={(event) => {
          const value = event.currentTarget.value;
          setText(value);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => start(value), TYPING_MS);
        }}
        onKeyDown={onKeyDown}
      />
      <button type="button" class="button button--small" aria-label="Previous match" title="Previous match (Shift+Enter)" disabled={count === 0} onClick={() => onStep(-1)}>
        ↑
      </button>
      <button type="button" class="button button--small" aria-label="Next match" title="Next match (Enter)" disabled={count === 0} onClick={() => onStep(1)}>
        ↓
      </button>
      <span class="log__search-count muted">{status}</span>
      <span class="visually-hidden" role="status">
        {announced}
      </span>
      {search.error.value !== undefined && <ErrorMessage error={search.error.value} title="The search stopped:" />}
    </div>
  );
}
