/**
 * The waterfall: one row per attempt, waiting time hatched and running
 * time in its state's colour, the critical path outlined, a time axis from
 * the run's start. Hover or focus a row for its exact times; arrow keys
 * move between rows, Enter selects the task.
 */
import { useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { memo } from "../../components/memo";
import { useScrollView } from "../../graph/use-scroll-view";
import { stateLabel } from "../../components/state-badge";
import { STATE_ICON_PATHS } from "../../components/state-icon";
import { formatDuration } from "../../time/format";
import { showUtc } from "../../time/zone-choice";
import { exactTime } from "./format";
import { offsetLabel, ticks, type Bar, type Timeline } from "./timeline-model";

const ROW_H = 24;
const AXIS_H = 28;

interface TimelineProps {
  timeline: Timeline;
  selected: string | undefined;
  onSelect: (path: string) => void;
}

function rowName(bar: Bar): string {
  return bar.attempts > 1 ? `${bar.path} #${bar.attempt}` : bar.path;
}

function describe(bar: Bar, start: number, utc: boolean): string[] {
  const lines: string[] = [];
  lines.push(`${rowName(bar)}: ${stateLabel(bar.state)}${bar.exitCode !== null ? `, exit code ${bar.exitCode}` : ""}`);
  if (bar.keptFrom) lines.push(`kept from run ${bar.keptFrom}`);
  if (bar.readyAt !== null && bar.startedAt !== null) {
    const why = bar.waitedFor.kind === "retry" ? "after the retry delay" : bar.waitedFor.kind === "needs" ? `once ${bar.waitedFor.path} ended` : "from the run's start";
    lines.push(`queued ${formatDuration(bar.startedAt - bar.readyAt)} (ready ${why})`);
  } else if (bar.readyAt !== null) lines.push(`waiting for its turn since ${exactTime(bar.readyAt, utc)}`);
  if (bar.startedAt !== null) {
    lines.push(`started ${exactTime(bar.startedAt, utc)} (+${offsetLabel(bar.startedAt - start)})`);
    lines.push(bar.finishedAt !== null ? `ended ${exactTime(bar.finishedAt, utc)}, ran ${formatDuration(bar.finishedAt - bar.startedAt)}` : "still running");
  } else if (bar.finishedAt !== null) lines.push(`did not run; ended ${exactTime(bar.finishedAt, utc)}`);
  if (bar.reason) lines.push(bar.reason);
  if (bar.critical) lines.push("on the critical path");
  return lines;
}

interface Scale {
  start: number;
  span: number;
  labelW: number;
  plotW: number;
  width: number;
}

const toX = (scale: Scale, time: number) => scale.labelW + ((time - scale.start) / scale.span) * scale.plotW;

interface RowProps {
  bar: Bar;
  index: number;
  scale: Scale;
  now: number;
  selected: boolean;
  tabbable: boolean;
  utc: boolean;
}

function RowInner({ bar, index, scale, now, selected, tabbable, utc }: RowProps) {
  const { labelW, width } = scale;
  const x = (time: number) => toX(scale, time);
  const label = describe(bar, scale.start, utc).join("; ");
  const y = index * ROW_H;
  const runEnd = bar.finishedAt ?? now;
  const name = rowName(bar);
  const maxChars = Math.floor((labelW - 26) / 7);
  const shown = name.length > maxChars ? `${name.slice(0, Math.max(1, maxChars - 1))}…` : name;
  return (
    <g
      class={`trow state--${bar.state}${selected ? " trow--selected" : ""}${bar.critical ? " trow--critical" : ""}`}
      transform={`translate(0 ${y})`}
      data-row={index}
      role="button"
      tabindex={tabbable ? 0 : -1}
      aria-label={label}
      aria-current={selected ? "true" : undefined}
    >
      <rect class="trow__bg" width={width} height={ROW_H} />
      {bar.critical && <path class="trow__mark" d="M6 12l4-4l4 4l-4 4z" />}
      <path class={`trow__icon state-icon state-icon--${bar.state}`} transform="translate(16 4)" d={STATE_ICON_PATHS[bar.state]} />
      <text class="trow__label" x={36} y={16} aria-hidden="true">
        {shown}
      </text>
      {bar.readyAt !== null && (bar.startedAt ?? now) > bar.readyAt && (
        <rect class="tbar tbar--queued" x={x(bar.readyAt)} y={6} width={Math.max(1, x(bar.startedAt ?? now) - x(bar.readyAt))} height={ROW_H - 12} />
      )}
      {bar.startedAt !== null && <rect class="tbar" x={x(bar.startedAt)} y={4} width={Math.max(2, x(runEnd) - x(bar.startedAt))} height={ROW_H - 8} rx={2} />}
      {bar.startedAt === null && bar.readyAt === null && (
        <text class="trow__note" x={labelW + 4} y={16} aria-hidden="true">
          {bar.keptFrom ? `kept from run ${bar.keptFrom}` : stateLabel(bar.state)}
        </text>
      )}
    </g>
  );
}

const Row = memo(RowInner);

export function TimelineView({ timeline, selected, onSelect }: TimelineProps) {
  const wrapper = useRef<HTMLDivElement>(null);
  const body = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [focusRow, setFocusRow] = useState<number | undefined>(undefined);
  const [pointed, setPointed] = useState<number | undefined>(undefined);
  // Only the rows in view (and a few around) are drawn: a run of thousands of attempts scrolls like one of ten.
  const [windowRows, setWindowRows] = useState({ top: 0, height: 600 });
  const utc = showUtc.value;

  useScrollView(body, (element) => setWindowRows((before) => (before.top === element.scrollTop && before.height === element.clientHeight ? before : { top: element.scrollTop, height: element.clientHeight })), []);

  useLayoutEffect(() => {
    const element = wrapper.current;
    if (!element) return;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const { rows, start, end } = timeline;
  const labelW = width < 560 ? 130 : 240;
  const plotW = Math.max(80, width - labelW - 20);
  const span = end - start;
  const scale = useMemo<Scale>(() => ({ start, span, labelW, plotW, width }), [start, span, labelW, plotW, width]);
  const x = (time: number) => toX(scale, time);
  const now = Math.min(Date.now(), end);
  const marks = ticks(span, Math.max(2, Math.floor(plotW / 90)));
  const selectedIndex = rows.findIndex((bar) => bar.path === selected);
  const tabRow = focusRow !== undefined && focusRow < rows.length ? focusRow : selectedIndex >= 0 ? selectedIndex : 0;
  const shownRow = pointed ?? focusRow;

  // The tooltip follows the row it describes (placed through the CSSOM: no inline style under the CSP).
  useLayoutEffect(() => {
    const element = tip.current;
    const view = body.current;
    if (!element || !view || shownRow === undefined) return;
    const bar = rows[shownRow];
    if (!bar) return;
    const top = view.offsetTop + shownRow * ROW_H - view.scrollTop + ROW_H + 4;
    const left = Math.min(Math.max(0, x(bar.startedAt ?? bar.readyAt ?? start) - 40), Math.max(0, width - 320));
    element.style.top = `${Math.max(view.offsetTop, top)}px`;
    element.style.left = `${left}px`;
  });

  // A row moved to by the keyboard is scrolled into view, drawn, then focused.
  const pendingFocus = useRef<number | undefined>(undefined);
  useLayoutEffect(() => {
    const index = pendingFocus.current;
    if (index === undefined) return;
    const element = body.current?.querySelector<SVGGElement>(`[data-row="${index}"]`);
    if (element) {
      pendingFocus.current = undefined;
      element.focus({ preventScroll: true });
    }
  });
  const moveTo = (index: number) => {
    const view = body.current;
    if (view) {
      const top = index * ROW_H;
      if (top < view.scrollTop) view.scrollTop = top;
      else if (top + ROW_H > view.scrollTop + view.clientHeight) view.scrollTop = top + ROW_H - view.clientHeight;
    }
    pendingFocus.current = index;
    setFocusRow(index);
  };

  const rowOf = (event: Event) => {
    const attr = (event.target as Element).closest?.("[data-row]")?.getAttribute("data-row");
    return attr === null || attr === undefined ? undefined : Number(attr);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const index = rowOf(event);
    if (index === undefined) return;
    let next: number | undefined;
    if (event.key === "ArrowDown") next = Math.min(rows.length - 1, index + 1);
    else if (event.key === "ArrowUp") next = Math.max(0, index - 1);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = rows.length - 1;
    else if (event.key === "PageDown") next = Math.min(rows.length - 1, index + 10);
    else if (event.key === "PageUp") next = Math.max(0, index - 10);
    else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onSelect(rows[index]!.path);
      return;
    }
    if (next !== undefined) {
      event.preventDefault();
      moveTo(next);
    }
  };

  const tipBar = shownRow !== undefined ? rows[shownRow] : undefined;
  const height = rows.length * ROW_H;
  const first = Math.max(0, Math.floor(windowRows.top / ROW_H) - 10);
  const last = Math.min(rows.length, Math.ceil((windowRows.top + windowRows.height) / ROW_H) + 10);
  const drawn: number[] = [];
  if (tabRow < first) drawn.push(tabRow);
  for (let index = first; index < last; index++) drawn.push(index);
  if (tabRow >= last && tabRow < rows.length) drawn.push(tabRow);

  return (
    <div class="timeline" ref={wrapper}>
      <p class="timeline__start muted">Time since the run started, at {exactTime(start, utc)}</p>
      <svg class="timeline__axis" width={width} height={AXIS_H} aria-hidden="true">
        {marks.map((offset) => (
          <g key={offset} transform={`translate(${x(start + offset)} 0)`}>
            <line class="timeline__tick" y1={AXIS_H - 8} y2={AXIS_H} />
            <text class="timeline__tick-label" y={AXIS_H - 12}>
              {offsetLabel(offset)}
            </text>
          </g>
        ))}
      </svg>
      <div
        class="timeline__body"
        ref={body}
        onKeyDown={onKeyDown}
        onClick={(event) => {
          const index = rowOf(event);
          if (index !== undefined) {
            setFocusRow(index);
            onSelect(rows[index]!.path);
          }
        }}
        onPointerMove={(event) => setPointed(rowOf(event))}
        onPointerLeave={() => setPointed(undefined)}
        onFocusIn={(event) => setFocusRow(rowOf(event))}
        onFocusOut={(event) => {
          if (!body.current?.contains(event.relatedTarget as Node | null)) setFocusRow(undefined);
        }}
        onScroll={() => setPointed(undefined)}
      >
        <svg class="timeline__rows" width={width} height={height} role="group" aria-label={`Timeline: ${rows.length} attempts`}>
          <g class="timeline__grid" aria-hidden="true">
            {marks.map((offset) => (
              <line key={offset} class="timeline__gridline" x1={x(start + offset)} x2={x(start + offset)} y1={0} y2={height} />
            ))}
          </g>
          {drawn.map((index) => {
            const bar = rows[index]!;
            return (
              <Row
                key={`${bar.path}#${bar.attempt}`}
                bar={bar}
                index={index}
                scale={scale}
                now={bar.finishedAt === null ? now : 0}
                selected={bar.path === selected}
                tabbable={index === tabRow}
                utc={utc}
              />
            );
          })}
        </svg>
      </div>
      <div class={`timeline__tip${tipBar ? "" : " timeline__tip--hidden"}`} ref={tip} aria-hidden="true">
        {tipBar && describe(tipBar, start, utc).map((line, i) => <div key={i}>{line}</div>)}
      </div>
    </div>
  );
}
