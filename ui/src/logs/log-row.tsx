/**
 * One line of the log on screen: its number (a link to it), its time, a tag
 * on stderr lines when both streams are shown, and its text in its colours
 * with search matches marked. Text goes into text nodes only: nothing a
 * task prints can become markup.
 */
import type { JSX } from "preact";
import { parseAnsi, type Segment } from "./ansi";
import { paletteVersion, spanLook } from "./colours";
import type { LogLine } from "./log-api";

const parsed = new WeakMap<LogLine, { segments: Segment[]; plain: string }>();

/** A line's segments and visible text, parsed once while the line is kept. */
export function lineParts(line: LogLine): { segments: Segment[]; plain: string } {
  let parts = parsed.get(line);
  if (!parts) {
    const segments = parseAnsi(line.line);
    parts = { segments, plain: segments.length === 1 ? segments[0]!.text : segments.map((segment) => segment.text).join("") };
    parsed.set(line, parts);
  }
  return parts;
}

/** The segments as spans, cut where matches begin and end so each match is a <mark>. */
export function LineText({ segments, ranges, current }: { segments: Segment[]; ranges: [number, number][]; current: boolean }) {
  // Colours are worked out for the theme: a change of theme draws them again.
  paletteVersion.value;
  const out: JSX.Element[] = [];
  let offset = 0;
  let r = 0;
  let key = 0;
  for (const segment of segments) {
    const end = offset + segment.text.length;
    let at = offset;
    while (at < end) {
      while (r < ranges.length && ranges[r]![1] <= at) r++;
      const range = ranges[r];
      const inMatch = range !== undefined && range[0] <= at;
      const stop = range === undefined ? end : Math.min(end, inMatch ? range[1] : range[0]);
      const text = segment.text.slice(at - offset, stop - offset);
      const span = segment.style ? <span key={key++} {...spanLook(segment.style)}>{text}</span> : text;
      out.push(inMatch ? <mark key={key++} class={current ? "log__match log__match--current" : "log__match"}>{span}</mark> : typeof span === "string" ? <span key={key++}>{span}</span> : span);
      at = stop;
    }
    offset = end;
  }
  return <>{out}</>;
}

export interface RowProps {
  index: number;
  line: LogLine | undefined;
  showStream: boolean;
  time: ((ts: number) => { short: string; full: string }) | undefined;
  ranges: (plain: string) => [number, number][];
  selected: boolean;
  currentMatch: boolean;
  onSelect: (index: number) => void;
  /** This line's own URL (?line=N), for opening it in a new tab or copying it. */
  href: string;
}

export function LogRow({ index, line, showStream, time, ranges, selected, currentMatch, onSelect, href }: RowProps) {
  const number = index + 1;
  const className = `log__row${selected ? " log__row--selected" : ""}${line?.stream === "stderr" ? " log__row--stderr" : ""}`;
  const parts = line ? lineParts(line) : undefined;
  const stamp = line && time ? time(line.ts) : undefined;
  return (
    <div class={className} data-line={number}>
      <a
        class="log__number"
        href={href}
        tabIndex={-1}
        aria-label={`Line ${number}`}
        onClick={(event) => {
          if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
          event.preventDefault();
          onSelect(index);
        }}
      >
        {number}
      </a>
      {time && (
        <span class="log__time" title={stamp?.full}>
          {stamp?.short ?? ""}
        </span>
      )}
      {showStream && <span class="log__stream">{line?.stream === "stderr" ? "err" : ""}</span>}
      <span class="log__text">{parts ? <LineText segments={parts.segments} ranges={ranges(parts.plain)} current={currentMatch} /> : <span class="log__pending">…</span>}</span>
    </div>
  );
}
