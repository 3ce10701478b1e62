/**
 * The task graph: a hand-drawn SVG of a pipeline's tasks and what each
 * waits for, with live states when given them.
 *
 * Use:
 *
 *   import { TaskGraph } from "../graph/task-graph";
 *   import { graphModelFromDefinition } from "../graph/model";
 *
 *   const model = useMemo(() => graphModelFromDefinition(definition), [definition]);
 *   <TaskGraph model={model} label="Tasks of home/backup" />                      // a pipeline: no states
 *   <TaskGraph model={model} states={states} selected={path} onSelect={setPath}
 *              label="Tasks of this run" critical={criticalPaths} />               // a run
 *
 * - `model`: from graphModelFromDefinition(definition) (graph/model.ts), where
 *   definition is the normalised pipeline definition (GET /runs/{id}/definition
 *   or GET /pipelines/{ns}/{name}). Keep it the same object while the
 *   definition is the same: the layout is computed once per model and per
 *   set of open boxes, never on a state change.
 * - `states`: task path → { state, durationMs, attempts, note } (graph/summary.ts),
 *   groups and arrays too when the API says their state. Hand a new Map when
 *   something changed, reusing the NodeStatus objects of tasks that did not:
 *   only boxes whose status object changed are drawn again.
 * - `selected` / `onSelect`: the selected task's path; a click or Enter on a
 *   task calls onSelect(path). A click or Enter on a group or array opens or
 *   folds it instead (groups start open, arrays folded: "shards ×8").
 * - `critical`: task paths to mark as on the critical path.
 * - `label`: the accessible name of the whole drawing.
 *
 * Keyboard: the scrolling frame is one tab stop (its arrow keys scroll);
 * the next Tab enters the graph at the selected task (one stop for all the
 * boxes), arrow keys move to the nearest box in that direction, Home and
 * End to the first and last, Enter or Space selects (or opens/folds), Tab
 * leaves. Past 300 boxes only those near the view are drawn; the keyboard
 * still reaches every one (the view follows the focus).
 * Zoom with the buttons or Ctrl + wheel; pan by dragging the background or
 * scrolling.
 */
import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { NODE_H, NODE_W, layoutGraph, type GraphLayout, type Placed } from "./layout";
import { digits } from "../logs/digits";
import { whenIdle } from "./later";
import { layoutLater } from "./layout-later";
import type { GraphModel, GraphNode } from "./model";
import { NodeView } from "./node-view";
import { summarize, type GraphStates, type Summary } from "./summary";
import { useScrollView } from "./use-scroll-view";
import "../styles/graph.css";

export type { NodeStatus, GraphStates } from "./summary";

export interface TaskGraphProps {
  model: GraphModel;
  states?: GraphStates;
  selected?: string;
  onSelect?: (path: string) => void;
  critical?: ReadonlySet<string>;
  label: string;
}

const MIN_ZOOM = 0.2;
/** Above this many boxes only those in (or near) view are drawn; below, all of them (find in page, screen readers' browse mode). */
const DRAW_ALL_UP_TO = 300;
/** How far beyond the visible part boxes are drawn, in graph units. */
const CULL_MARGIN = 400;
/**
 * Up to this many nodes the layout is computed as the graph renders. A
 * bigger graph (a 1,000-task run: 30–60 ms of layout here) is laid out in a
 * worker (layout-later.ts) and drawn when it answers, so that the layout
 * never joins the page's other work in one long task.
 */
const LAY_OUT_NOW_UP_TO = 300;
/**
 * Past this many boxes the first drawing has only those in view; those
 * around them follow in idle moments, in two steps (half the margin, then
 * all of it, or every box up to DRAW_ALL_UP_TO).
 */
const DRAW_AT_ONCE_UP_TO = 100;

const EMPTY_LAYOUT: GraphLayout = { width: 0, height: 0, placed: [], byPath: new Map(), edges: [], rep: () => undefined, ms: 0 };

function timedLayout(model: GraphModel, isOpen: (path: string) => boolean): GraphLayout {
  const laid = layoutGraph(model, isOpen);
  // For the budget (layout well under 100 ms for 1,000 boxes): read with performance.getEntriesByName.
  performance.measure("spire:graph-layout", { start: performance.now() - laid.ms, duration: laid.ms });
  return laid;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}
const MAX_ZOOM = 2;
/** Groups this big start folded (their tasks are a click away). */
const OPEN_GROUP_LIMIT = 200;

function openByDefault(node: GraphNode): boolean {
  // Arrays start folded; a copy of a group array too; a group opens unless it is very big.
  if (node.kind === "array") return false;
  if (node.copyIndex !== undefined) return false;
  return node.kind === "group" && node.taskCount <= OPEN_GROUP_LIMIT;
}

export function TaskGraph({ model, states, selected, onSelect, critical, label }: TaskGraphProps) {
  const [toggled, setToggled] = useState<ReadonlySet<string>>(() => new Set());
  const [zoom, setZoom] = useState(1);
  const [focusPath, setFocusPath] = useState<string | undefined>(undefined);
  const viewport = useRef<HTMLDivElement>(null);
  const summaries = useRef<ReadonlyMap<string, Summary>>(new Map());
  const markerId = useId().replace(/[^A-Za-z0-9_-]/g, "");
  // The part of the graph in view (graph units), for drawing only what is near it; a guess (the window) until measured.
  const [seen, setSeen] = useState<Rect>(() => ({ x: 0, y: 0, w: window.innerWidth, h: window.innerHeight }));
  const pendingFocus = useRef<string | undefined>(undefined);

  const isOpen = (path: string) => {
    const node = model.nodes.get(path);
    return node !== undefined && openByDefault(node) !== toggled.has(path);
  };
  const layOutNow = model.nodes.size <= LAY_OUT_NOW_UP_TO;
  const laidNow = useMemo(() => (layOutNow ? timedLayout(model, isOpen) : undefined), [model, toggled]);
  // A big graph's layout: computed in a worker; until it answers, the last one of this model (a group opened or folded), or none.
  const [laidLater, setLaidLater] = useState<{ model: GraphModel; layout: GraphLayout } | undefined>(undefined);
  useEffect(() => {
    if (layOutNow) return;
    const open: string[] = [];
    for (const node of model.nodes.values()) if (node.children.length > 0 && isOpen(node.path)) open.push(node.path);
    return layoutLater(model, open, (layout) => setLaidLater({ model, layout }));
  }, [model, toggled]);
  const layout = laidNow ?? (laidLater?.model === model ? laidLater.layout : EMPTY_LAYOUT);
  const layingOut = layout === EMPTY_LAYOUT && model.nodes.size > 0;
  // For the page's own timing: the first frame with boxes.
  const drawnMark = useRef(false);
  useEffect(() => {
    if (drawnMark.current || layout.placed.length === 0) return;
    drawnMark.current = true;
    requestAnimationFrame(() => performance.mark("spire:graph-drawn"));
  }, [layout]);
  // How far around the view boxes are drawn: 0, in view; 1, half the margin; 2, all of it. Starts at 0 for each layout.
  const [reached, setReached] = useState<{ layout: GraphLayout; step: number }>({ layout, step: 0 });
  const step = layout.placed.length <= DRAW_AT_ONCE_UP_TO ? 2 : reached.layout === layout ? reached.step : 0;
  useEffect(() => {
    if (step >= 2) return;
    return whenIdle(() => setReached({ layout, step: step + 1 }));
  }, [layout, step]);

  const containers = useMemo(() => new Set(layout.placed.filter((box) => model.nodes.get(box.path)!.children.length > 0).map((box) => box.path)), [layout]);
  const summary = useMemo(() => {
    const next = summarize(model, containers, states, summaries.current);
    summaries.current = next;
    return next;
  }, [model, containers, states]);

  const selectedRep = selected !== undefined ? layout.rep(selected) : undefined;
  // A folded box is on the critical path when a task inside it is.
  const criticalBoxes = useMemo(() => {
    if (!critical) return undefined;
    const out = new Set<string>();
    for (const path of critical) {
      const box = layout.rep(path);
      if (box !== undefined) out.add(box);
    }
    return out;
  }, [critical, layout]);
  const tabStop = focusPath !== undefined && layout.byPath.has(focusPath) ? focusPath : (selectedRep ?? layout.placed[0]?.path);
  const hasStates = states !== undefined;

  // Bring the selected task into view when the graph first shows it.
  const shownSelection = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!selectedRep || shownSelection.current === selectedRep || !viewport.current) return;
    shownSelection.current = selectedRep;
    const box = layout.byPath.get(selectedRep);
    const view = viewport.current;
    if (!box) return;
    const left = box.x * zoom;
    const top = box.y * zoom;
    const inView = left >= view.scrollLeft && left + box.w * zoom <= view.scrollLeft + view.clientWidth && top >= view.scrollTop && top + box.h * zoom <= view.scrollTop + view.clientHeight;
    if (!inView) view.scrollTo({ left: left - view.clientWidth / 3, top: top - view.clientHeight / 3 });
  }, [selectedRep, layout]);

  const toggle = (path: string) =>
    setToggled((before) => {
      const next = new Set(before);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });

  const setAll = (open: boolean) => {
    const next = new Set<string>();
    for (const node of model.nodes.values()) if (node.children.length > 0 && openByDefault(node) !== open) next.add(node.path);
    setToggled(next);
  };

  const activate = (path: string) => {
    setFocusPath(path);
    const node = model.nodes.get(path);
    if (!node) return;
    if (node.children.length > 0) {
      // Its box is drawn anew (a frame, or a folded box): keep the focus on it.
      if (viewport.current?.contains(document.activeElement)) pendingFocus.current = path;
      toggle(path);
    } else onSelect?.(path);
  };

  const focusBox = (path: string) => {
    // It may not be drawn yet (out of view): scroll to it, then focus it once drawn.
    const view = viewport.current;
    const box = layout.byPath.get(path);
    if (view && box) {
      const left = box.x * zoom;
      const top = box.y * zoom;
      const w = Math.min(box.w, NODE_W) * zoom;
      const h = Math.min(box.h, NODE_H) * zoom;
      if (left < view.scrollLeft) view.scrollLeft = left - 16;
      else if (left + w > view.scrollLeft + view.clientWidth) view.scrollLeft = left + w - view.clientWidth + 16;
      if (top < view.scrollTop) view.scrollTop = top - 16;
      else if (top + h > view.scrollTop + view.clientHeight) view.scrollTop = top + h - view.clientHeight + 16;
    }
    pendingFocus.current = path;
    setFocusPath(path);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const target = (event.target as Element).closest?.("[data-path]");
    const path = target?.getAttribute("data-path");
    if (!path) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      activate(path);
      return;
    }
    const next = moveFrom(layout.placed, layout.byPath.get(path), event.key);
    if (next) {
      event.preventDefault();
      focusBox(next);
    }
  };

  const onClick = (event: MouseEvent) => {
    if (dragged.current) return;
    const path = (event.target as Element).closest?.("[data-path]")?.getAttribute("data-path");
    if (path) activate(path);
  };

  // Dragging the background pans; a click on a box still selects it.
  const drag = useRef<{ x: number; y: number; left: number; top: number } | null>(null);
  const dragged = useRef(false);
  const onPointerDown = (event: PointerEvent) => {
    if (event.button !== 0 || event.pointerType === "touch" || !viewport.current) return;
    dragged.current = false;
    if ((event.target as Element).closest?.("[data-path]")) return;
    drag.current = { x: event.clientX, y: event.clientY, left: viewport.current.scrollLeft, top: viewport.current.scrollTop };
    viewport.current.setPointerCapture(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent) => {
    const start = drag.current;
    if (!start || !viewport.current) return;
    const dx = event.clientX - start.x;
    const dy = event.clientY - start.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) dragged.current = true;
    viewport.current.scrollLeft = start.left - dx;
    viewport.current.scrollTop = start.top - dy;
  };
  const onPointerUp = () => {
    drag.current = null;
  };

  const zoomTo = (next: number, around?: { x: number; y: number }) => {
    const view = viewport.current;
    const clamped = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.round(next * 100) / 100));
    if (!view || clamped === zoom) return;
    const anchor = around ?? { x: view.clientWidth / 2, y: view.clientHeight / 2 };
    const graphX = (view.scrollLeft + anchor.x) / zoom;
    const graphY = (view.scrollTop + anchor.y) / zoom;
    setZoom(clamped);
    requestAnimationFrame(() => {
      view.scrollLeft = graphX * clamped - anchor.x;
      view.scrollTop = graphY * clamped - anchor.y;
    });
  };
  // A graph a little wider than its frame starts zoomed out to fit; a big one starts at 100% (scroll, or Fit).
  // The frame's width is the one last measured (reading it here would lay out the boxes just drawn, in this same task).
  const fitted = useRef(false);
  const frameWidth = useRef(0);
  const fitOnce = (width: number) => {
    if (fitted.current || width === 0 || layout.width === 0) return;
    fitted.current = true;
    const fit = width / layout.width;
    if (fit < 1 && fit >= 0.6) setZoom(Math.floor(fit * 100) / 100);
  };
  useLayoutEffect(() => fitOnce(frameWidth.current), [layout]);
  const fitZoom = () => {
    const view = viewport.current;
    if (!view || layout.width === 0) return;
    zoomTo(Math.min(1, view.clientWidth / layout.width, Math.max(view.clientHeight, 300) / layout.height));
  };
  useEffect(() => {
    const view = viewport.current;
    if (!view) return;
    const onWheel = (event: WheelEvent) => {
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      const rect = view.getBoundingClientRect();
      zoomTo(zoom * (event.deltaY < 0 ? 1.15 : 1 / 1.15), { x: event.clientX - rect.left, y: event.clientY - rect.top });
    };
    view.addEventListener("wheel", onWheel, { passive: false });
    return () => view.removeEventListener("wheel", onWheel);
  }, [zoom, layout]);

  // Measure what is in view: on scroll (once a frame), on resize (first when the frame is laid out), on zoom.
  const fitLatest = useRef(fitOnce);
  fitLatest.current = fitOnce;
  useScrollView(
    viewport,
    (view) => {
      frameWidth.current = view.clientWidth;
      fitLatest.current(view.clientWidth);
      setSeen((before) => {
        const next = { x: view.scrollLeft / zoom, y: view.scrollTop / zoom, w: view.clientWidth / zoom, h: view.clientHeight / zoom };
        return Math.abs(next.x - before.x) < 40 && Math.abs(next.y - before.y) < 40 && next.w === before.w && next.h === before.h ? before : next;
      });
    },
    [zoom],
    // A big graph's frame is measured once it is laid out (and before its boxes are drawn); a small one's at once, so that it is fitted before it is first painted.
    !layOutNow,
  );

  // Focus moved by the keyboard lands once its box is drawn.
  useLayoutEffect(() => {
    const path = pendingFocus.current;
    if (!path) return;
    const element = viewport.current?.querySelector<SVGGElement>(`[data-path="${CSS.escape(path)}"]`);
    if (element) {
      pendingFocus.current = undefined;
      element.focus();
    }
  });

  const cull = layout.placed.length > DRAW_ALL_UP_TO || step < 2;
  const margin = step === 0 ? 0 : step === 1 ? CULL_MARGIN / 2 : CULL_MARGIN;
  const x1 = seen.x - margin;
  const y1 = seen.y - margin;
  const x2 = seen.x + seen.w + margin;
  const y2 = seen.y + seen.h + margin;
  const keep = (box: Placed) => !cull || (box.x <= x2 && box.x + box.w >= x1 && box.y <= y2 && box.y + box.h >= y1) || box.path === tabStop || box.path === selectedRep;
  const frames: Placed[] = [];
  const boxes: Placed[] = [];
  for (const box of layout.placed) if (keep(box)) (box.open ? frames : boxes).push(box);
  const lines = cull ? layout.edges.filter((edge) => edge.box.x1 <= x2 && edge.box.x2 >= x1 && edge.box.y1 <= y2 && edge.box.y2 >= y1) : layout.edges;
  const hot = selectedRep;
  const drawBox = (box: Placed, selectable: boolean) => (
    <NodeView
      key={box.path}
      box={box}
      node={model.nodes.get(box.path)!}
      status={states?.get(box.path)}
      summary={summary.get(box.path)}
      hasStates={hasStates}
      selected={selectable && box.path === selected}
      holdsSelected={selectable && selectedRep === box.path && box.path !== selected}
      critical={selectable && (criticalBoxes?.has(box.path) ?? false)}
      tabbable={box.path === tabStop}
    />
  );
  const openCount = containers.size;

  return (
    <div class="graph">
      <div class="graph__toolbar">
        <div class="graph__zoom" role="group" aria-label="Zoom">
          <button type="button" class="button button--small" aria-label="Zoom out" onClick={() => zoomTo(zoom / 1.25)} disabled={zoom <= MIN_ZOOM}>
            −
          </button>
          <output class="graph__zoom-value" aria-live="off">
            {Math.round(zoom * 100)}%
          </output>
          <button type="button" class="button button--small" aria-label="Zoom in" onClick={() => zoomTo(zoom * 1.25)} disabled={zoom >= MAX_ZOOM}>
            +
          </button>
          <button type="button" class="button button--small" onClick={fitZoom}>
            Fit
          </button>
          <button type="button" class="button button--small" onClick={() => zoomTo(1)} disabled={zoom === 1}>
            100%
          </button>
        </div>
        {openCount > 0 && (
          <div class="graph__fold" role="group" aria-label="Groups and arrays">
            <button type="button" class="button button--small" onClick={() => setAll(true)}>
              Open all
            </button>
            <button type="button" class="button button--small" onClick={() => setAll(false)}>
              Fold all
            </button>
          </div>
        )}
        <Legend />
      </div>
      <div
        ref={viewport}
        class={`graph__viewport${layingOut ? " graph__viewport--pending" : ""}`}
        role="region"
        aria-label={`${label}: scroll to see all of it`}
        tabIndex={0}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onKeyDown={onKeyDown}
        onClick={onClick}
        onFocusIn={(event) => {
          const path = (event.target as Element).closest?.("[data-path]")?.getAttribute("data-path");
          if (path && path !== focusPath) setFocusPath(path);
        }}
      >
        {layingOut ? (
          <p class="graph__empty muted">Drawing {digits(model.tasks.length)} tasks…</p>
        ) : layout.placed.length === 0 ? (
          <p class="graph__empty muted">No tasks.</p>
        ) : (
          <svg
            class="graph__svg"
            role="group"
            aria-label={label}
            aria-roledescription="task graph"
            width={Math.ceil(layout.width * zoom)}
            height={Math.ceil(layout.height * zoom)}
            viewBox={`0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}`}
          >
            <defs>
              <marker id={`${markerId}-a`} class="gedge__arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
                <path d="M0 0L8 4L0 8z" />
              </marker>
              <marker id={`${markerId}-h`} class="gedge__arrow gedge__arrow--hot" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
                <path d="M0 0L8 4L0 8z" />
              </marker>
            </defs>
            <g class="graph__frames">
              {frames.map((box) => drawBox(box, false))}
            </g>
            <g class="graph__edges" aria-hidden="true">
              {lines.map((edge) => {
                const isHot = hot !== undefined && (edge.from === hot || edge.to === hot);
                return (
                  <path
                    key={edge.key}
                    class={`gedge gedge--${edge.on}${isHot ? " gedge--hot" : ""}`}
                    d={edge.d}
                    marker-end={`url(#${markerId}-${isHot ? "h" : "a"})`}
                  />
                );
              })}
            </g>
            <g class="graph__nodes">
              {boxes.map((box) => drawBox(box, true))}
            </g>
          </svg>
        )}
      </div>
    </div>
  );
}

function Legend() {
  return (
    <p class="graph__legend muted" aria-label="Lines: solid, needs it to pass; dashed, runs when it failed; dotted, runs when it is done">
      <LegendLine kind="pass" /> needs <LegendLine kind="fail" /> on fail <LegendLine kind="done" /> on done
    </p>
  );
}

function LegendLine({ kind }: { kind: "pass" | "fail" | "done" }) {
  return (
    <svg class="graph__legend-line" width="26" height="10" viewBox="0 0 26 10" aria-hidden="true">
      <path class={`gedge gedge--${kind}`} d="M1 5H25" />
    </svg>
  );
}

/** The nearest box in an arrow key's direction (scored by distance along it, and thrice across it). */
function moveFrom(placed: readonly Placed[], from: Placed | undefined, key: string): string | undefined {
  if (placed.length === 0) return undefined;
  if (key === "Home") return placed[0]!.path;
  if (key === "End") return placed[placed.length - 1]!.path;
  if (!from) return undefined;
  const anchor = (box: Placed) => ({ x: box.x + Math.min(box.w, NODE_W) / 2, y: box.y + Math.min(box.h, NODE_H) / 2 });
  const here = anchor(from);
  let best: string | undefined;
  let bestScore = Infinity;
  for (const box of placed) {
    if (box === from) continue;
    const there = anchor(box);
    const dx = there.x - here.x;
    const dy = there.y - here.y;
    let along: number;
    let across: number;
    if (key === "ArrowRight") [along, across] = [dx, dy];
    else if (key === "ArrowLeft") [along, across] = [-dx, dy];
    else if (key === "ArrowDown") [along, across] = [dy, dx];
    else if (key === "ArrowUp") [along, across] = [-dy, dx];
    else return undefined;
    if (along <= 1) continue;
    const score = along + 3 * Math.abs(across);
    if (score < bestScore) {
      bestScore = score;
      best = box.path;
    }
  }
  return best;
}
