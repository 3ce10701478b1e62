/** One box of the task graph: a task, a folded group or array, or the header of an open one. */
import type { TaskState } from "../api/types";
import { memo } from "../components/memo";
import { stateLabel } from "../components/state-badge";
import { STATE_ICON_PATHS } from "../components/state-icon";
import { formatDuration } from "../time/format";
import { HEADER_H, type Placed } from "./layout";
import type { GraphNode } from "./model";
import { STATE_ORDER, countsInWords, type NodeStatus, type Summary } from "./summary";

/** Average advance of a character: 13px semibold names, 12px meta lines. */
const NAME_CHAR_W = 7.4;
const META_CHAR_W = 6.3;

function fit(text: string, width: number, charWidth = NAME_CHAR_W): string {
  const max = Math.max(3, Math.floor(width / charWidth));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function kindWord(node: GraphNode): string {
  return node.kind === "array" ? "array" : node.kind === "group" ? "group" : "task";
}

function displayName(node: GraphNode): string {
  return node.kind === "array" ? `${node.label} ×${node.children.length}` : node.label;
}

/**
 * The accessible name: what the box shows, in the same order (so speech
 * and sight agree, WCAG 2.5.3), then what it does not: "task dump,
 * succeeded, 640 ms"; "array shards ×8, 5/8 done, 1 failed, state failed,
 * 8 copies: 1 failed, 2 running, 5 succeeded".
 */
export function accessibleName(node: GraphNode, status: NodeStatus | undefined, summary: Summary | undefined, hasStates: boolean): string {
  const shown = displayName(node);
  const tail = node.path.slice(node.path.lastIndexOf("/") + 1);
  const what = `${kindWord(node)} ${node.copyIndex !== undefined && tail !== shown ? `${tail} ` : ""}${shown}`;
  const meta = metaLine(node, status, summary, hasStates).replace(/ · /g, ", ");
  if (node.kind === "task") return status?.note && (status.attempts ?? 0) > 0 ? `${what}, ${meta}, after try ${status.attempts}` : `${what}, ${meta}`;
  if (!hasStates || !summary) return `${what}, ${meta}`;
  const size = node.kind === "array" ? `${node.children.length} copies` : `${node.taskCount} ${node.taskCount === 1 ? "task" : "tasks"}`;
  return `${what}, ${meta}, state ${stateLabel(summary.state)}, ${size}: ${countsInWords(summary.counts)}`;
}

function metaLine(node: GraphNode, status: NodeStatus | undefined, summary: Summary | undefined, hasStates: boolean): string {
  if (node.kind === "task") {
    if (!hasStates) return node.payload ?? "task";
    const parts = [stateLabel(status?.state ?? "pending")];
    if (status?.note) return `${parts[0]} · ${status.note}`;
    if (status?.durationMs !== undefined && status.durationMs !== null) parts.push(formatDuration(status.durationMs));
    if ((status?.attempts ?? 0) > 1) parts.push(`try ${status!.attempts}`);
    return parts.join(" · ");
  }
  const size = node.kind === "array" ? `${node.children.length} copies` : `${node.taskCount} ${node.taskCount === 1 ? "task" : "tasks"}`;
  if (!hasStates || !summary) return size;
  const done = summary.total - (summary.counts.pending ?? 0) - (summary.counts.running ?? 0);
  const bad = (summary.counts.failed ?? 0) + (summary.counts.timed_out ?? 0);
  return `${done}/${summary.total} done${bad > 0 ? ` · ${bad} failed` : (summary.counts.running ?? 0) > 0 ? ` · ${summary.counts.running} running` : ""}`;
}

function Icon({ state, x, y }: { state: TaskState; x: number; y: number }) {
  return <path class={`state-icon state-icon--${state} gnode__icon`} transform={`translate(${x} ${y})`} d={STATE_ICON_PATHS[state] ?? STATE_ICON_PATHS.pending} />;
}

/** Proportions of the states of a folded box's tasks, as a thin bar (the words are in its name and meta line). */
function CountsBar({ summary, x, y, width }: { summary: Summary; x: number; y: number; width: number }) {
  if (summary.total === 0) return null;
  let at = x;
  return (
    <g class="gnode__counts" aria-hidden="true">
      {STATE_ORDER.map((state) => {
        const count = summary.counts[state] ?? 0;
        if (count === 0) return null;
        const w = (count / summary.total) * width;
        const rect = <rect key={state} class={`gnode__count state--${state}`} x={at} y={y} width={Math.max(w, 1)} height={3} />;
        at += w;
        return rect;
      })}
    </g>
  );
}

interface NodeViewProps {
  box: Placed;
  node: GraphNode;
  status: NodeStatus | undefined;
  summary: Summary | undefined;
  hasStates: boolean;
  selected: boolean;
  /** A task inside this folded box is selected. */
  holdsSelected: boolean;
  critical: boolean;
  tabbable: boolean;
}

function NodeViewInner({ box, node, status, summary, hasStates, selected, holdsSelected, critical, tabbable }: NodeViewProps) {
  const state: TaskState | undefined = hasStates ? (node.kind === "task" ? (status?.state ?? "pending") : summary?.state) : undefined;
  const name = displayName(node);
  const label = accessibleName(node, status, summary, hasStates);
  const textX = state ? 34 : 12;
  const shown = fit(name, box.w - textX - 8);
  const isBox = node.kind !== "task";

  if (box.open) {
    const meta = metaLine(node, status, summary, hasStates);
    const nameX = state ? 50 : 30;
    return (
      <g class={`gframe${state ? ` state--${state}` : ""}`} transform={`translate(${box.x} ${box.y})`}>
        <rect class="gframe__box" width={box.w} height={box.h} rx={8} />
        <g
          class={`gframe__head${holdsSelected ? " gnode--holds" : ""}`}
          data-path={node.path}
          role="button"
          tabindex={tabbable ? 0 : -1}
          aria-expanded="true"
          aria-label={label}
        >
          <rect class="gframe__headbox" width={box.w} height={HEADER_H} rx={8} />
          <path class="gframe__chevron" transform="translate(8 7)" d="M3 6l5 5l5-5" />
          {state && <Icon state={state} x={28} y={7} />}
          <text class="gframe__name" x={nameX} y={19} aria-hidden="true">
            {fit(name, box.w - nameX - meta.length * META_CHAR_W - 18)}{" "}
          </text>
          <text class="gframe__meta" x={box.w - 10} y={19} aria-hidden="true">
            {meta}
          </text>
        </g>
      </g>
    );
  }

  const classes = ["gnode", isBox ? `gnode--${node.kind}` : "", state ? `state--${state}` : "gnode--plain", selected ? "gnode--selected" : "", holdsSelected ? "gnode--holds" : "", critical ? "gnode--critical" : ""];
  return (
    <g
      class={classes.filter(Boolean).join(" ")}
      transform={`translate(${box.x} ${box.y})`}
      data-path={node.path}
      role="button"
      tabindex={tabbable ? 0 : -1}
      aria-label={label}
      aria-current={selected ? "true" : undefined}
      aria-expanded={isBox ? "false" : undefined}
    >
      {shown !== name && <title>{name}</title>}
      {isBox && <rect class="gnode__stack" x={4} y={4} width={box.w} height={box.h} rx={6} />}
      <rect class="gnode__box" width={box.w} height={box.h} rx={6} />
      {state && <rect class="gnode__bar" width={4} height={box.h} rx={2} />}
      {state && <Icon state={state} x={12} y={isBox ? 8 : 9} />}
      <text class="gnode__name" x={textX} y={isBox ? 20 : 21} aria-hidden="true">
        {shown}{" "}
      </text>
      <text class="gnode__meta" x={textX} y={isBox ? 36 : 39} aria-hidden="true">
        {fit(metaLine(node, status, summary, hasStates), box.w - textX - 8, META_CHAR_W)}
      </text>
      {isBox && summary && hasStates && <CountsBar summary={summary} x={textX} y={box.h - 8} width={box.w - textX - 10} />}
    </g>
  );
}

/** Only boxes whose state, selection or place changed are drawn again. */
export const NodeView = memo(NodeViewInner);
