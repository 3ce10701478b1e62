/**
 * One line of the log on screen: its number (a link to it), its time, a tag
 * on stderr lines when both streams are shown, and its text in its colours
 * with search matches marked. Text goes into text nodes only: nothing a
 * task prints can become markup.
 */
import type { JSX } from "preact";
import { cssColor, parseAnsi, type AnsiStyle, type Segment } from "./ansi";
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

function styleProps(style: AnsiStyle): { class: string; style?: Record<string, string> } {
  let fg = style.fg;
  let bg = style.bg;
  const classes: string[] = [];
  const css: Record<string, string> = {};
  if (style.inverse) {
    [fg, bg] = [bg, fg];
    if (fg === undefined) classes.push("ansi-f-inv");
    if (bg === undefined) classes.push("ansi-b-inv");
  }
  // The 16 base colours follow the theme (light or dark); the others are what the task asked for.
  if (fg !== undefined) {
    if (fg < 16) classes.push(`ansi-f${fg}`);
    else css.color = cssColor(fg);
  }
  if (bg !== undefined) {
    if (bg < 16) classes.push(`ansi-b${bg}`);
    else css.backgroundColor = cssColor(bg);
  }
  if (style.bold) classes.push("ansi-bold");
  if (style.dim) classes.push("ansi-dim");
  if (style.italic) classes.push("ansi-italic");
  if (style.underline) classes.push("ansi-underline");
  if (style.strike) classes.push("ansi-strike");
  return { class: classes.join(" "), ...(Object.keys(css).length > 0 ? { style: css } : {}) };
}

/** The segments as spans, cut where matches begin and end so each match is a <mark>. */
export function LineText({ segments, ranges, current }: { segments: Segment[]; ranges: [number, number][]; current: boolean }) {
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
      const span = segment.style ? <span key={key++} {...styleProps(segment.style)}>{text}</span> : text;
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
