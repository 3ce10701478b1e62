/** The top of a run's page: what ran, how it was started, with what, when, what it cost, and what it reported. */
import { useEffect, useState } from "preact/hooks";
import type { MetricAggregate, Run, TaskState } from "../../api/types";
import { Fact, KeyValueTable, MetricsTable } from "./parts";
import { StateBadge } from "../../components/state-badge";
import { AbsoluteTime, RelativeTime } from "../../components/time-label";
import { paths } from "../../router/routes";
import { formatDuration } from "../../time/format";
import { now } from "../../time/now";
import { countsInWords } from "../../graph/summary";
import { digits } from "../../logs/digits";
import { formatBytes, plural } from "./format";

const ms = (iso: string | null) => (iso ? Date.parse(iso) : null);

/** The time, every second while `on` (a run's "so far" figures), else 0. */
function useTick(on: boolean): number {
  const [time, setTime] = useState(() => (on ? Date.now() : 0));
  useEffect(() => {
    if (!on) return;
    setTime(Date.now());
    const timer = setInterval(() => setTime(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [on]);
  return on ? time : 0;
}

/** How the run was started, in words: its kind, the slot it was for, and whatever else the trigger records. */
function TriggerWords({ run }: { run: Run }) {
  const { kind, scheduled_at, ...rest } = run.trigger;
  const extras = Object.entries(rest).filter(([, value]) => value !== null && value !== undefined && value !== "");
  return (
    <>
      <span class="trigger-kind">{kind}</span>
      {scheduled_at && (
        <>
          {" "}
          for <AbsoluteTime time={scheduled_at} />
        </>
      )}
      {extras.map(([key, value]) => (
        <span key={key} class="trigger-extra">
          {" "}
          · {key.replace(/_/g, " ")}: <TriggerValue value={value} />
        </span>
      ))}
    </>
  );
}

function TriggerValue({ value }: { value: unknown }) {
  if (typeof value === "string" && /^[0-9a-z]{16}$/.test(value)) return <a href={paths.run(value)}>{value}</a>;
  if (Array.isArray(value)) return <>{value.map(String).join(", ")}</>;
  if (typeof value === "object") return <code>{JSON.stringify(value)}</code>;
  return <>{String(value)}</>;
}

/** Run-level counts and metrics are rolled up when the run ends; until then, the sum of its tasks so far. */
export function rollUp(run: Run): { warnings: number; errors: number; metrics: Record<string, MetricAggregate>; soFar: boolean } {
  if (run.finished_at !== null) return { warnings: run.warnings, errors: run.errors, metrics: run.metrics, soFar: false };
  let warnings = 0;
  let errors = 0;
  const metrics: Record<string, MetricAggregate> = {};
  for (const task of run.tasks) {
    warnings += task.warnings;
    errors += task.errors;
    for (const [name, value] of Object.entries(task.metrics)) {
      const before = metrics[name];
      if (!before) metrics[name] = { ...value };
      else {
        const sum = before.sum + value.sum;
        const count = before.count + value.count;
        metrics[name] = { min: Math.min(before.min, value.min), max: Math.max(before.max, value.max), sum, count, mean: count ? sum / count : 0 };
      }
    }
  }
  return { warnings, errors, metrics, soFar: true };
}

interface RunFactsProps {
  run: Run;
  secretArgs: ReadonlySet<string>;
}

export function RunFacts({ run, secretArgs }: RunFactsProps) {
  const created = ms(run.created_at)!;
  const started = ms(run.started_at);
  const finished = ms(run.finished_at);
  const ticking = useTick(run.finished_at === null);
  const clock = Math.max(now.value, ticking);
  const queuedFor = (started ?? (run.state === "queued" ? clock : null)) !== null ? (started ?? clock) - created : null;
  const ranFor = started !== null ? (finished ?? Math.max(clock, started)) - started : null;
  const totals = rollUp(run);
  const taskCounts: Partial<Record<TaskState, number>> = {};
  for (const task of run.tasks) taskCounts[task.state] = (taskCounts[task.state] ?? 0) + 1;
  const args = Object.entries(run.args);

  return (
    <>
      <dl class="facts">
        <Fact term="Trigger">
          <TriggerWords run={run} />
        </Fact>
        <Fact term="Created">
          <AbsoluteTime time={run.created_at} /> <RelativeTime time={run.created_at} class="muted" />
        </Fact>
        <Fact term="Started">
          {run.started_at ? (
            <>
              <AbsoluteTime time={run.started_at} /> <span class="muted">after {formatDuration(queuedFor)} queued</span>
            </>
          ) : run.state === "queued" ? (
            <span>not yet (queued {formatDuration(queuedFor)})</span>
          ) : (
            "never"
          )}
        </Fact>
        <Fact term="Finished">
          {run.finished_at ? (
            <>
              <AbsoluteTime time={run.finished_at} /> <span class="muted">ran {formatDuration(run.duration_ms ?? ranFor)}</span>
            </>
          ) : started !== null ? (
            <span>still running ({formatDuration(ranFor)} so far)</span>
          ) : (
            "—"
          )}
        </Fact>
        <Fact term="CPU time">{run.cpu_ms === null ? "not measured" : formatDuration(run.cpu_ms)}</Fact>
        <Fact term="Peak memory">{run.peak_rss_bytes === null ? "not measured" : <span title="the highest peak of any one attempt">{formatBytes(run.peak_rss_bytes)}</span>}</Fact>
        <Fact term="Warnings">
          <span class={totals.warnings > 0 ? "count count--warning" : undefined}>{digits(totals.warnings)}</span>
          {totals.soFar && <span class="muted"> so far</span>}
        </Fact>
        <Fact term="Errors">
          <span class={totals.errors > 0 ? "count count--error" : undefined}>{digits(totals.errors)}</span>
          {totals.soFar && <span class="muted"> so far</span>}
        </Fact>
        <Fact term="Tasks">
          {plural(run.tasks.length, "task")}
          {run.tasks.length > 0 && <span class="muted">: {countsInWords(taskCounts)}</span>}
        </Fact>
        {run.partition && <Fact term="Partition">{run.partition}</Fact>}
      </dl>
      <KeyValueTable
        caption="Arguments"
        rows={args.map(([name, value]) => [name, typeof value === "string" ? value : JSON.stringify(value)])}
        note={(name) => (secretArgs.has(name) ? <span class="secret-tag">secret, masked by the engine</span> : null)}
      />
      <MetricsTable metrics={totals.metrics} caption={totals.soFar ? "Metrics so far (from the tasks that reported them)" : "Metrics"} />
    </>
  );
}

export function RunTitle({ run }: { run: Run }) {
  return (
    <div class="run-title">
      <h1 class="run-title__name">
        <a href={paths.pipeline(run.namespace, run.pipeline)}>
          <span class="run-title__ns">{run.namespace}/</span>
          {run.pipeline}
        </a>
      </h1>
      <StateBadge state={run.state} />
      <span class="run-title__id muted">
        run <code>{run.id}</code>
      </span>
      {run.reason && <p class="run-title__reason">{run.reason}</p>}
    </div>
  );
}
