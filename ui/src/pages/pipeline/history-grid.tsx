/**
 * Tasks × runs: a row per task (group members indented under their group,
 * arrays folded into one row until unfolded), a column per run, oldest on
 * the left and newest on the right, as in Airflow's grid and the pipelines
 * page's squares: time reads left to right, and the newest run sits where
 * the eye ends, beside the durations chart above it. Each cell is a small
 * state square (icon and colour) linking to that task in that run.
 *
 * One tab stop for the whole grid (roving tabindex): arrow keys move
 * between cells, Home/End to the row's ends, Ctrl+Home/End to the grid's
 * corners, Page Up/Down by ten rows.
 */
import { useLayoutEffect, useRef } from "preact/hooks";
import { stateLabel } from "../../components/state-badge";
import { memo } from "../../components/memo";
import { shortRunId } from "../../format/run-id";
import { paths, withQuery } from "../../router/routes";
import { formatAbsolute, formatDuration } from "../../time/format";
import type { Cell, HistoryRun } from "./history";
import { spread } from "./percentile";
import { isOpen, type Row } from "./rows";

interface GridProps {
  /** Newest first, as the API gives them. */
  runs: HistoryRun[];
  rows: Row[];
  toggled: ReadonlySet<string>;
  utc: boolean;
  pipeline: string;
  onToggle: (path: string) => void;
  /** The row under the pointer or the focus (undefined: none), for the durations chart. */
  onFocusRow: (path: string | undefined) => void;
}

const KIND_WORD = { task: "task", group: "group", array: "array" } as const;

function cellTitle(row: Row, cell: Cell): string {
  const parts = [row.path, stateLabel(cell.state)];
  if (cell.duration_ms !== null) parts.push(formatDuration(cell.duration_ms));
  if (cell.attempts > 1) parts.push(`${cell.attempts} attempts`);
  if (cell.exit_code !== null && cell.exit_code !== 0) parts.push(`exit code ${cell.exit_code}`);
  return parts.join(" · ");
}

/** "12-05 14:03": the column's date, short enough to stand on its side. */
function shortDate(iso: string, utc: boolean): string {
  return formatAbsolute(iso, utc).slice(5, 16);
}

function dayOf(iso: string, utc: boolean): string {
  return formatAbsolute(iso, utc).slice(0, 10);
}

function moveFocus(event: KeyboardEvent, active: { current: [number, number] }): void {
  const grid = event.currentTarget as HTMLElement;
  const [r, c] = active.current;
  const rows = grid.querySelectorAll("tr").length;
  const columns = grid.querySelector("tr")?.children.length ?? 1;
  let next: [number, number];
  switch (event.key) {
    case "ArrowRight":
      next = [r, c + 1];
      break;
    case "ArrowLeft":
      next = [r, c - 1];
      break;
    case "ArrowDown":
      next = [r + 1, c];
      break;
    case "ArrowUp":
      next = [r - 1, c];
      break;
    case "PageDown":
      next = [r + 10, c];
      break;
    case "PageUp":
      next = [r - 10, c];
      break;
    case "Home":
      next = event.ctrlKey ? [0, 0] : [r, 0];
      break;
    case "End":
      next = event.ctrlKey ? [rows - 1, columns - 1] : [r, columns - 1];
      break;
    default:
      return;
  }
  event.preventDefault();
  next = [Math.max(0, Math.min(rows - 1, next[0])), Math.max(0, Math.min(columns - 1, next[1]))];
  const target = grid.querySelector<HTMLElement>(`[data-rc="${next[0]}:${next[1]}"]`);
  if (!target) return;
  grid.querySelector<HTMLElement>(`[data-rc="${r}:${c}"]`)?.setAttribute("tabindex", "-1");
  target.tabIndex = 0;
  active.current = next;
  target.focus();
  target.scrollIntoView({ block: "nearest", inline: "nearest" });
}

function HistoryGridView({ runs, rows, toggled, utc, pipeline, onToggle, onFocusRow }: GridProps) {
  const columns = [...runs].reverse();
  // The newest run of the first task, until the reader moves.
  const active = useRef<[number, number]>([rows.length > 0 ? 1 : 0, columns.length]);
  const gridRef = useRef<HTMLTableElement>(null);
  // Until the reader moves, the focus target follows the newest run of the first task as runs and rows come in.
  const touched = useRef(false);
  if (!touched.current) active.current = [rows.length > 0 ? 1 : 0, columns.length];
  const [ar, ac] = active.current;
  if (ar > rows.length || ac > columns.length) active.current = [Math.min(ar, rows.length), Math.min(ac, columns.length)];
  const tab = (r: number, c: number) => (active.current[0] === r && active.current[1] === c ? 0 : -1);

  // Keep the focus where it was when rows are folded or a column comes in.
  useLayoutEffect(() => {
    const grid = gridRef.current;
    if (!grid || !grid.contains(document.activeElement)) return;
    const [r, c] = active.current;
    const here = grid.querySelector<HTMLElement>(`[data-rc="${r}:${c}"]`);
    if (here && here !== document.activeElement) here.focus();
  });

  // Of the succeeded attempts, as the chart's lines.
  const spreads = new Map(
    rows.map((row) => [
      row.path,
      spread(
        runs.map((run) => {
          const cell = run.cells?.get(row.path);
          return cell?.state === "succeeded" ? cell.duration_ms : null;
        }),
      ),
    ]),
  );

  return (
    <table
      ref={gridRef}
      class="history-grid"
      role="grid"
      aria-label={`History of ${pipeline}: tasks by run, oldest run first`}
      aria-rowcount={rows.length + 1}
      aria-colcount={columns.length + 1}
      onKeyDown={(event) => {
        touched.current = true;
        moveFocus(event, active);
      }}
      onFocusIn={(event) => {
        const target = event.target as HTMLElement;
        const rc = target.dataset["rc"];
        if (rc) {
          touched.current = true;
          active.current = rc.split(":").map(Number) as [number, number];
        }
        onFocusRow(target.closest("tr")?.dataset["path"]);
      }}
      onFocusOut={(event) => {
        if (!gridRef.current?.contains(event.relatedTarget as Node | null)) onFocusRow(undefined);
      }}
      onMouseOver={(event) => onFocusRow((event.target as HTMLElement).closest("tr")?.dataset["path"])}
      onMouseLeave={() => {
        if (!gridRef.current?.contains(document.activeElement)) onFocusRow(undefined);
      }}
    >
      <thead>
        <tr role="row">
          <th role="columnheader" scope="col" class="history-grid__corner" data-rc="0:0" tabIndex={tab(0, 0)}>
            Task <span class="muted">/ run</span>
          </th>
          {columns.map((run, index) => {
            const { summary } = run;
            const newDay = index > 0 && dayOf(columns[index - 1]!.summary.created_at, utc) !== dayOf(summary.created_at, utc);
            const when = formatAbsolute(summary.created_at, utc);
            return (
              <th key={summary.id} role="columnheader" scope="col" class={`history-grid__run${newDay ? " is-new-day" : ""}`}>
                <a
                  href={paths.run(summary.id)}
                  data-rc={`0:${index + 1}`}
                  tabIndex={tab(0, index + 1)}
                  aria-label={`run ${shortRunId(summary.id)}: ${stateLabel(summary.state)}, ${when}`}
                  title={`${summary.id}: ${stateLabel(summary.state)}, ${when}${summary.duration_ms !== null ? `, took ${formatDuration(summary.duration_ms)}` : ""}`}
                >
                  <span class={`sq state--${summary.state}`} aria-hidden="true" />
                  <span class="history-grid__date" aria-hidden="true">
                    {shortDate(summary.created_at, utc)}
                  </span>
                </a>
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, rowIndex) => {
          const r = rowIndex + 1;
          const open = isOpen(row, toggled);
          const rowSpread = spreads.get(row.path);
          const spreadText = rowSpread ? `p50 ${formatDuration(rowSpread.p50)}, p95 ${formatDuration(rowSpread.p95)}` : "";
          const kind = KIND_WORD[row.kind];
          return (
            <tr key={row.path} role="row" data-path={row.path}>
              <th
                role="rowheader"
                scope="row"
                class={`history-grid__name depth-${Math.min(row.depth, 6)}`}
                title={`${row.path}${spreadText ? ` (${spreadText})` : ""}`}
                data-rc={row.parent ? undefined : `${r}:0`}
                tabIndex={row.parent ? undefined : tab(r, 0)}
              >
                {row.parent ? (
                  <button type="button" class="history-grid__toggle" data-rc={`${r}:0`} tabIndex={tab(r, 0)} aria-expanded={open} onClick={() => onToggle(row.path)}>
                    <span class={`history-grid__caret${open ? " is-open" : ""}`} aria-hidden="true" />
                    {row.label}
                    <span class="visually-hidden">
                      {" "}
                      ({kind}
                      {spreadText ? `, ${spreadText}` : ""})
                    </span>
                  </button>
                ) : (
                  <span class="history-grid__label">
                    {row.label}
                    {spreadText && <span class="visually-hidden"> ({spreadText})</span>}
                  </span>
                )}
              </th>
              {columns.map((run, index) => {
                const c = index + 1;
                const rc = `${r}:${c}`;
                const short = shortRunId(run.summary.id);
                const cell = run.cells?.get(row.path);
                const newDay = index > 0 && dayOf(columns[index - 1]!.summary.created_at, utc) !== dayOf(run.summary.created_at, utc);
                const dayClass = newDay ? "is-new-day" : undefined;
                if (cell)
                  return (
                    <td key={run.summary.id} role="gridcell" class={dayClass}>
                      <a
                        href={withQuery(paths.run(run.summary.id), { task: row.path })}
                        class={`sq state--${cell.state}`}
                        data-rc={rc}
                        tabIndex={tab(r, c)}
                        aria-label={`${kind} ${row.path} in run ${short}: ${stateLabel(cell.state)}`}
                        title={cellTitle(row, cell)}
                      />
                    </td>
                  );
                // Nothing to open: the cell itself takes the focus, and says why it is empty.
                return (
                  <td
                    key={run.summary.id}
                    role="gridcell"
                    class={dayClass}
                    data-rc={rc}
                    tabIndex={tab(r, c)}
                    aria-label={run.cells ? `${kind} ${row.path}: not in run ${short}` : `${kind} ${row.path} in run ${short}: loading`}
                    title={run.cells ? `not in run ${run.summary.id}` : "loading…"}
                  >
                    <span class={`sq ${run.cells ? "sq--none" : "sq--loading"}`} aria-hidden="true" />
                  </td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export const HistoryGrid = memo(HistoryGridView);
