/** Each task of two runs side by side: state, duration, exit code, attempts, CPU and peak memory; differences marked, tasks of one run only marked too. */
import type { ComponentChildren } from "preact";
import type { TaskRun } from "../../api/types";
import { CardBody, CardHead, CardRow, CardTable, Cell, ColumnHeader, RowHeader } from "../../components/card-table";
import { StateBadge } from "../../components/state-badge";
import { paths, withQuery } from "../../router/routes";
import { formatDuration } from "../../time/format";
import { formatBytes, measuredDiffers, relativeChange, type TaskPair } from "./diff";

interface Figure {
  label: string;
  /** Shown as text; null → "—". */
  show: (task: TaskRun) => ComponentChildren;
  value: (task: TaskRun) => number | string | null;
  differs: (a: TaskRun, b: TaskRun) => boolean;
  /** A relative change under B, for measured figures. */
  change?: boolean;
  numeric?: boolean;
}

const exact = (value: (task: TaskRun) => number | string | null) => (a: TaskRun, b: TaskRun) => value(a) !== value(b);

const FIGURES: Figure[] = [
  { label: "State", show: (task) => <StateBadge state={task.state} />, value: (task) => task.state, differs: exact((task) => task.state) },
  {
    label: "Duration",
    show: (task) => formatDuration(task.duration_ms),
    value: (task) => task.duration_ms,
    differs: (a, b) => measuredDiffers(a.duration_ms, b.duration_ms, 500),
    change: true,
    numeric: true,
  },
  { label: "Exit code", show: (task) => task.exit_code ?? "—", value: (task) => task.exit_code, differs: exact((task) => task.exit_code), numeric: true },
  { label: "Attempts", show: (task) => task.attempts, value: (task) => task.attempts, differs: exact((task) => task.attempts), numeric: true },
  {
    label: "CPU",
    show: (task) => formatDuration(task.cpu_ms),
    value: (task) => task.cpu_ms,
    differs: (a, b) => measuredDiffers(a.cpu_ms, b.cpu_ms, 100),
    change: true,
    numeric: true,
  },
  {
    label: "Peak memory",
    show: (task) => formatBytes(task.peak_rss_bytes),
    value: (task) => task.peak_rss_bytes,
    differs: (a, b) => measuredDiffers(a.peak_rss_bytes, b.peak_rss_bytes, 1024 * 1024),
    change: true,
    numeric: true,
  },
];

export function pairDiffers(pair: TaskPair): boolean {
  if (!pair.a || !pair.b) return true;
  return FIGURES.some((figure) => figure.differs(pair.a!, pair.b!));
}

export function TaskTable({ pairs, runA, runB, onlyDifferences }: { pairs: TaskPair[]; runA: string; runB: string; onlyDifferences: boolean }) {
  const shown = onlyDifferences ? pairs.filter(pairDiffers) : pairs;
  if (shown.length === 0) return <p class="muted">{onlyDifferences ? "No task differs in these figures." : "Neither run has tasks."}</p>;
  return (
    <div class="compare-table-wrap">
      <CardTable class="data-table stack-table compare-table">
        <caption class="visually-hidden">Tasks of run A and run B side by side; each cell gives A's value, then B's</caption>
        <CardHead>
          <CardRow>
            <ColumnHeader>Task</ColumnHeader>
            {FIGURES.map((figure) => (
              <ColumnHeader key={figure.label} class={figure.numeric ? "num" : undefined}>
                {figure.label}
              </ColumnHeader>
            ))}
          </CardRow>
        </CardHead>
        <CardBody>
          {shown.map((pair) => {
            const only = !pair.a ? "B" : !pair.b ? "A" : null;
            return (
              <CardRow key={pair.path} class={only ? "is-only" : undefined}>
                <RowHeader class="compare-table__task">
                  <span class="compare-table__path">{pair.path}</span>
                  {only && <span class="tag tag--accent">only in {only}</span>}
                  <span class="compare-table__links">
                    {pair.a && (
                      <a href={withQuery(paths.run(runA), { task: pair.path })}>
                        in A<span class="visually-hidden"> ({pair.path})</span>
                      </a>
                    )}
                    {pair.b && (
                      <a href={withQuery(paths.run(runB), { task: pair.path })}>
                        in B<span class="visually-hidden"> ({pair.path})</span>
                      </a>
                    )}
                  </span>
                </RowHeader>
                {FIGURES.map((figure) => {
                  const { a, b } = pair;
                  const differs = a && b ? figure.differs(a, b) : false;
                  const change = figure.change && a && b ? relativeChange(figure.value(a) as number | null, figure.value(b) as number | null) : "";
                  return (
                    <Cell key={figure.label} label={figure.label} class={`${figure.numeric ? "num " : ""}${differs ? "is-diff" : ""}`}>
                      <span class="pair">
                        <span class="pair__value">
                          <span class="pair__tag" aria-hidden="true">
                            A
                          </span>
                          <span class="visually-hidden">A: </span>
                          {a ? figure.show(a) : "—"}
                        </span>
                        <span class="pair__value">
                          <span class="pair__tag" aria-hidden="true">
                            B
                          </span>
                          <span class="visually-hidden">B: </span>
                          {b ? figure.show(b) : "—"}
                          {change && <span class="pair__change">{change}</span>}
                        </span>
                        {differs && <span class="tag tag--warn">differs</span>}
                      </span>
                    </Cell>
                  );
                })}
              </CardRow>
            );
          })}
        </CardBody>
      </CardTable>
    </div>
  );
}
