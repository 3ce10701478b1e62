/** Small pieces the run page's header and task panel share: a fact, a table of names and values, a table of metrics. */
import type { ComponentChildren } from "preact";
import { useRef } from "preact/hooks";
import type { MetricAggregate } from "../../api/types";
import { formatNumber } from "./format";

export function Fact({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div class="facts__item">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** Names and values (arguments, outputs), each value as code, with an optional note after it. */
export function KeyValueTable({ caption, rows, note }: { caption: string; rows: [string, string][]; note?: (name: string) => ComponentChildren }) {
  if (rows.length === 0) return null;
  return (
    <div class="table-wrap">
      <table class="data-table">
        <caption>{caption}</caption>
        <tbody>
          {rows.map(([name, value]) => (
            <tr key={name}>
              <th scope="row">
                <code>{name}</code>
              </th>
              <td>
                <code class="kv-value">{value}</code>
                {note?.(name)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function MetricsTable({ metrics, caption }: { metrics: Record<string, MetricAggregate>; caption: string }) {
  const names = Object.keys(metrics).sort();
  if (names.length === 0) return null;
  return (
    <div class="table-wrap">
      <table class="data-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">min</th>
            <th scope="col">max</th>
            <th scope="col">mean</th>
            <th scope="col">sum</th>
            <th scope="col">count</th>
          </tr>
        </thead>
        <tbody>
          {names.map((name) => {
            const m = metrics[name]!;
            return (
              <tr key={name}>
                <th scope="row">
                  <code>{name}</code>
                </th>
                <td>{formatNumber(m.min)}</td>
                <td>{formatNumber(m.max)}</td>
                <td>{formatNumber(m.mean)}</td>
                <td>{formatNumber(m.sum)}</td>
                <td>{formatNumber(m.count)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}


/**
 * Tabs and their panel (WAI-ARIA tabs): one tab stop, the arrow keys move
 * between tabs and show them. `idBase` makes the ids of tabs and panel.
 */
export function Tabs<T extends string>({ tabs, selected, onSelect, idBase, label, children }: { tabs: readonly [T, string][]; selected: T; onSelect: (tab: T) => void; idBase: string; label: string; children: ComponentChildren }) {
  const list = useRef<HTMLDivElement>(null);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    event.preventDefault();
    const index = tabs.findIndex(([id]) => id === selected);
    const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length]![0];
    onSelect(next);
    requestAnimationFrame(() => list.current?.querySelector<HTMLElement>(`[data-tab="${next}"]`)?.focus());
  };
  return (
    <>
      <div class="tabs" role="tablist" aria-label={label} ref={list} onKeyDown={onKeyDown}>
        {tabs.map(([id, text]) => (
          <button
            key={id}
            type="button"
            role="tab"
            class="tabs__tab"
            id={`${idBase}-${id}-tab`}
            data-tab={id}
            aria-selected={selected === id}
            aria-controls={`${idBase}-${id}`}
            tabIndex={selected === id ? 0 : -1}
            onClick={() => onSelect(id)}
          >
            {text}
          </button>
        ))}
      </div>
      <div class="tabs__panel" role="tabpanel" id={`${idBase}-${selected}`} aria-labelledby={`${idBase}-${selected}-tab`}>
        {children}
      </div>
    </>
  );
}
