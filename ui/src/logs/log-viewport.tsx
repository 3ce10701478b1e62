/**
 * The scrolling part of the log: only the rows on screen are in the page.
 * A spacer as tall as every line would be (capped: browsers refuse elements
 * taller than some 17–33 million pixels, so past MAX_SPACER_PX the scrollbar
 * maps to lines in proportion) holds a window that stays in view (sticky)
 * and shows the lines the scroll position points at. The position is kept
 * as a line number, so a million lines scroll as smoothly as a hundred, and
 * wrapped lines (taller than one row) keep their place too.
 */
import type { RefObject } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { LineCache } from "./line-cache";
import type { LogSearch } from "./log-search";
import { LogRow } from "./log-row";

/** Tall enough for 400,000 rows of 20 px; short enough for every browser. */
const MAX_SPACER_PX = 8_000_000;
/** The row height until one is measured (the stylesheet says 20 px). */
const DEFAULT_ROW_PX = 20;

export interface ViewportHandle {
  toLine(index: number, where?: "top" | "third"): void;
  toStart(): void;
  toEnd(): void;
  page(direction: 1 | -1): void;
  /** The first line on screen. */
  topLine(): number;
  visible(index: number): boolean;
}

export interface ViewportProps {
  cache: LineCache;
  search: LogSearch;
  wrap: boolean;
  time: ((ts: number) => { short: string; full: string }) | undefined;
  showStream: boolean;
  selected: number | undefined;
  currentMatch: number | undefined;
  onSelect: (index: number) => void;
  lineHref: (number: number) => string;
  /** Stick to the end as lines come. */
  follow: boolean;
  /** The reader scrolled: at the end or not (a live view follows only at the end). */
  onAtEnd: (atEnd: boolean) => void;
  handle: RefObject<ViewportHandle | null>;
  /** Where it opens: at a line (the linked one, shown a third of the way down), or at the end (a live log). */
  start: number | "end";
  label: string;
  describedBy: string;
}

interface Geometry {
  total: number;
  row: number;
  height: number;
  spacer: number;
  scaled: boolean;
  maxScroll: number;
  /** The largest first line: the last screen. */
  maxTop: number;
}

function geometry(total: number, row: number, height: number): Geometry {
  const natural = total * row;
  const spacer = Math.max(height, Math.min(natural, MAX_SPACER_PX));
  const fit = height / row;
  return { total, row, height, spacer, scaled: natural > MAX_SPACER_PX, maxScroll: Math.max(0, spacer - height), maxTop: Math.max(0, total - fit) };
}

function topFromScroll(g: Geometry, scrollTop: number): number {
  if (!g.scaled) return Math.min(g.maxTop, scrollTop / g.row);
  return g.maxScroll > 0 ? (Math.min(scrollTop, g.maxScroll) / g.maxScroll) * g.maxTop : 0;
}

function scrollFromTop(g: Geometry, top: number): number {
  const line = Math.max(0, Math.min(g.maxTop, top));
  if (!g.scaled) return line * g.row;
  return g.maxTop > 0 ? (line / g.maxTop) * g.maxScroll : 0;
}

export function LogViewport(props: ViewportProps) {
  const { cache, search, wrap, follow, handle } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useRef<HTMLDivElement>(null);
  const [height, setHeight] = useState(0);
  const [row, setRow] = useState(DEFAULT_ROW_PX);
  // The first render already shows where the view opens, so no other page is asked for on the way there.
  const [top, setTop] = useState(() => (props.start === "end" ? 0 : Math.max(0, props.start - 8)));
  const [atEnd, setAtEnd] = useState(props.start === "end");
  const [width, setWidth] = useState(0);
  const frame = useRef(0);
  // Re-render when lines arrive and when matches change.
  cache.version.value;
  search.query.value;
  const total = cache.total.value ?? 0;
  const g = geometry(total, row, height || row * 20);
  const latest = useRef({ g, top, follow, atEnd });
  latest.current = { g, top, follow, atEnd };

  const fit = Math.max(1, Math.ceil(g.height / g.row));
  const count = fit + 1;
  const bottomAnchored = atEnd && total > fit - 1;
  const first = bottomAnchored ? Math.max(0, total - count) : Math.max(0, Math.min(Math.floor(top), total - 1));
  const last = Math.min(total, first + count);

  // The lines on screen are asked for (what is missing of them).
  useEffect(() => {
    cache.want(first, last);
  }, [first, last, total, cache.version.value]);

  const jump = (line: number, end = false) => {
    const element = scroller.current;
    if (!element) return;
    const { g: now } = latest.current;
    const target = end ? now.maxScroll : scrollFromTop(now, line);
    element.scrollTop = target;
    // Rendered at once, not at the next scroll event (which does not come when nothing moved).
    sync(target);
  };

  const sync = (scrollTop: number) => {
    const { g: now } = latest.current;
    const end = now.maxScroll <= 0 || scrollTop >= now.maxScroll - 2;
    const line = topFromScroll(now, scrollTop);
    // Moves that come before the next render (wheel events, keys held down) go on from here, not from the line last drawn.
    latest.current = { ...latest.current, top: line, atEnd: end };
    setTop(line);
    setAtEnd(end);
    props.onAtEnd(end);
  };

  handle.current = {
    toLine: (index, where = "third") => jump(where === "top" ? index : index - Math.floor(fit / 3)),
    toStart: () => jump(0),
    toEnd: () => jump(0, true),
    page: (direction) => jump(Math.floor(latest.current.top) + direction * Math.max(1, fit - 1)),
    topLine: () => Math.floor(latest.current.top),
    visible: (index) => index >= first && index < first + fit - 1,
  };

  // The viewport's height and the row height (from the stylesheet: it follows the font size and zoom), read again on resize.
  useLayoutEffect(() => {
    const element = scroller.current!;
    const measure = () => {
      const rowPx = parseFloat(getComputedStyle(element).lineHeight) || latest.current.g.row;
      setHeight(element.clientHeight);
      setRow(rowPx);
      return geometry(latest.current.g.total, rowPx, element.clientHeight);
    };
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    // Now that the height is known: exactly where it opens.
    latest.current.g = measure();
    if (props.start === "end") jump(0, true);
    else if (props.start > 0) handle.current!.toLine(props.start);
    return () => observer.disconnect();
  }, []);

  // Without wrapping, the widest line seen so far sets how far the view scrolls sideways: told by a
  // ResizeObserver after layout, rather than asked for (which would force a layout every frame).
  useLayoutEffect(() => {
    const element = rows.current;
    if (wrap || !element) return;
    const observer = new ResizeObserver(() => setWidth((known) => Math.max(known, element.scrollWidth)));
    observer.observe(element);
    return () => observer.disconnect();
  }, [wrap]);

  // The window's offset: part of the first row is above the top (wrapped rows have their own height).
  useLayoutEffect(() => {
    const element = rows.current;
    if (!element) return;
    if (bottomAnchored) {
      element.style.transform = "";
      return;
    }
    const firstRow = element.firstElementChild as HTMLElement | null;
    const rowHeight = wrap && firstRow ? firstRow.offsetHeight : g.row;
    element.style.transform = `translateY(${-Math.round((top - first) * rowHeight)}px)`;
  });

  // Following: when lines come, go to the end. Otherwise keep the same first line when the log grows.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element || total === 0) return;
    if (follow) {
      if (element.scrollTop < g.maxScroll - 1 || !atEnd) jump(0, true);
    } else if (g.scaled) {
      const want = scrollFromTop(g, top);
      if (Math.abs(element.scrollTop - want) > 1) element.scrollTop = want;
    }
  }, [total, follow, height]);

  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  // Past MAX_SPACER_PX a pixel of scrollbar is more than a pixel of lines: the wheel is taken in lines here, so it moves as far as in a short log.
  useEffect(() => {
    const element = scroller.current!;
    const onWheel = (event: WheelEvent) => {
      const { g: now, top: at } = latest.current;
      if (!now.scaled || event.ctrlKey || Math.abs(event.deltaY) <= Math.abs(event.deltaX)) return;
      event.preventDefault();
      const lines = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY : event.deltaMode === WheelEvent.DOM_DELTA_PAGE ? event.deltaY * (now.height / now.row) : event.deltaY / now.row;
      jump(at + lines);
    };
    element.addEventListener("wheel", onWheel, { passive: false });
    return () => element.removeEventListener("wheel", onWheel);
  }, []);

  const onScroll = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      if (scroller.current) sync(scroller.current.scrollTop);
    });
  };

  const digits = String(Math.max(total, 1)).length;
  const rowsOut = [];
  for (let index = first; index < last; index++) {
    rowsOut.push(
      <LogRow
        key={index}
        index={index}
        line={cache.line(index)}
        showStream={props.showStream}
        time={props.time}
        ranges={(plain) => search.ranges(plain)}
        selected={props.selected === index}
        currentMatch={props.currentMatch === index}
        onSelect={props.onSelect}
        href={props.lineHref(index + 1)}
      />,
    );
  }

  return (
    <div
      ref={scroller}
      class={`log__scroller${wrap ? " log__scroller--wrap" : ""}`}
      tabIndex={0}
      role="region"
      aria-label={props.label}
      aria-describedby={props.describedBy}
      onScroll={onScroll}
      onKeyDown={(event) => {
        const keys: Record<string, () => void> = {
          PageDown: () => handle.current!.page(1),
          PageUp: () => handle.current!.page(-1),
          Home: () => jump(0),
          End: () => jump(0, true),
          ArrowDown: () => jump(Math.floor(latest.current.top) + 1),
          ArrowUp: () => jump(Math.ceil(latest.current.top) - 1),
          " ": () => handle.current!.page(event.shiftKey ? -1 : 1),
        };
        const action = event.ctrlKey || event.metaKey || event.altKey ? undefined : keys[event.key];
        if (!action) return;
        event.preventDefault();
        action();
      }}
      style={{ "--log-digits": String(digits) }}
    >
      <div class="log__spacer" style={{ height: `${g.spacer}px`, width: wrap || width === 0 ? undefined : `${width}px` }}>
        <div class="log__window" style={{ height: `${g.height}px` }}>
          <div ref={rows} class={`log__rows${bottomAnchored ? " log__rows--end" : ""}`}>
            {rowsOut}
          </div>
        </div>
      </div>
    </div>
  );
}
