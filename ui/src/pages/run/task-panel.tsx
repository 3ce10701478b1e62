/**
 * The selected task: where it ran (when the run used another machine than
 * the engine's), its attempts (exit code, state, reason, times, CPU,
 * memory), the command it ran, its warnings and errors with their text,
 * metrics, outputs and artifacts; or its log.
 */
import { useEffect } from "preact/hooks";
import type { Run, TaskRun } from "../../api/types";
import { learnLocalMachine, localMachine } from "../../api/workers";
import { StateBadge, stateLabel } from "../../components/state-badge";
import { StateIcon } from "../../components/state-icon";
import { AbsoluteTime } from "../../components/time-label";
import { tasksUnder, type GraphModel } from "../../graph/model";
import { countsInWords } from "../../graph/summary";
import { LogView } from "../../logs/log-view";
import { formatDuration } from "../../time/format";
import { showUtc } from "../../time/zone-choice";
import type { Artifact } from "./api";
import { withRecordedTimes, type Attempt } from "./attempts";
import { exactTime, formatBytes, plural } from "./format";
import { machinesWorthNaming, recordsMachines } from "./machines";
import { Fact, KeyValueTable, MetricsTable, Tabs } from "./parts";

export type PanelTab = "details" | "logs";

const TABS: [PanelTab, string][] = [
  ["details", "Details"],
  ["logs", "Logs"],
];

interface TaskPanelProps {
  run: Run;
  path: string;
  model: GraphModel | undefined;
  attempts: readonly Attempt[];
  artifacts: Artifact[] | undefined;
  artifactsError: string | null;
  tab: PanelTab;
  onTab: (tab: PanelTab) => void;
  /** The attempt whose log is shown (default: the last). */
  attempt: number | undefined;
  onAttempt: (attempt: number | undefined) => void;
}

export function TaskPanel(props: TaskPanelProps) {
  const { run, path, model, tab, onTab } = props;
  const task = run.tasks.find((entry) => entry.path === path);
  const group = run.groups.find((entry) => entry.path === path);
  const base = `task-panel-${path.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const named = recordsMachines(run);
  useEffect(() => {
    if (named) learnLocalMachine();
  }, [named]);
  const where = task?.worker != null && machinesWorthNaming(run, localMachine.value) ? task.worker : null;

  if (!task && !group) {
    return (
      <section class="task-panel" aria-label="Selected task">
        <p class="notice">
          This run has no task <code>{path}</code>.
        </p>
      </section>
    );
  }

  return (
    <section class="task-panel" aria-labelledby={`${base}-title`}>
      <div class="task-panel__head">
        <h2 id={`${base}-title`} class="task-panel__title">
          <span class="muted">{task ? "Task" : group!.type === "array" ? "Array" : "Group"}</span> <code>{path}</code>
        </h2>
        <StateBadge state={task?.state ?? group!.state} />
        {where && (
          <span class="task-panel__where" title={`The machine its last attempt ran on${where === localMachine.value ? ": the engine's own" : ""}`}>
            on {where}
          </span>
        )}
      </div>
      {task ? (
        <Tabs tabs={TABS} selected={tab} onSelect={onTab} idBase={base} label={`About ${path}`}>
          {tab === "details" ? <TaskDetails {...props} task={task} /> : <TaskLogs {...props} task={task} />}
        </Tabs>
      ) : (
        <GroupDetails run={run} path={path} model={model} />
      )}
    </section>
  );
}

function TaskDetails({ run, task, attempts: logged, artifacts, artifactsError }: TaskPanelProps & { task: TaskRun }) {
  const utc = showUtc.value;
  const attempts = withRecordedTimes(logged, task);
  const last = attempts[attempts.length - 1];
  const argv = [...attempts].reverse().find((attempt) => attempt.argv)?.argv;
  const mine = artifacts?.filter((artifact) => artifact.task === task.path) ?? [];
  const warnings = task.messages.filter((message) => message.level === "warning");
  const errors = task.messages.filter((message) => message.level === "error");
  const outputs = Object.entries(task.outputs);
  return (
    <div class="task-details">
      <dl class="facts">
        <Fact term="Attempts">{task.attempts === 0 ? "none (it did not run)" : task.attempts}</Fact>
        <Fact term="Exit code">
          {task.exit_code === null ? "—" : <code>{task.exit_code}</code>}
          {task.signal && <span class="muted"> (signal {task.signal})</span>}
        </Fact>
        <Fact term="Started">{task.started_at ? <AbsoluteTime time={task.started_at} /> : "—"}</Fact>
        <Fact term="Finished">{task.finished_at ? <AbsoluteTime time={task.finished_at} /> : task.state === "running" ? "still running" : "—"}</Fact>
        <Fact term="Duration">{formatDuration(task.duration_ms)}</Fact>
        <Fact term="CPU time">{task.cpu_ms === null ? "not measured" : formatDuration(task.cpu_ms)}</Fact>
        <Fact term="Peak memory">{formatBytes(task.peak_rss_bytes)}</Fact>
        <Fact term="Warnings">{task.warnings}</Fact>
        <Fact term="Errors">{task.errors}</Fact>
      </dl>
      {task.reason && (
        <p class={`task-reason${task.state === "failed" || task.state === "timed_out" ? " task-reason--bad" : ""}`}>
          <strong>Reason:</strong> {task.reason}
        </p>
      )}
      {last?.keptFrom && (
        <p class="notice">
          Kept from run <a href={`/runs/${encodeURIComponent(last.keptFrom)}`}>{last.keptFrom}</a>: this retry did not run it again.
        </p>
      )}

      {attempts.length > 0 && (
        <div class="table-wrap">
          <table class="data-table">
            <caption>Attempts</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">State</th>
                <th scope="col">Exit code</th>
                <th scope="col">Started</th>
                <th scope="col">Ran</th>
                <th scope="col">CPU</th>
                <th scope="col">Peak memory</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((attempt) => {
                const isLast = attempt === last;
                return (
                  <tr key={attempt.attempt}>
                    <td>{attempt.attempt}</td>
                    <td>
                      <StateBadge state={attempt.state} />
                      {attempt.retryDelayMs !== null && <span class="muted"> · retried after {formatDuration(attempt.retryDelayMs)}</span>}
                    </td>
                    <td>{attempt.exitCode === null ? "—" : <code>{attempt.exitCode}</code>}</td>
                    <td>{attempt.startedAt === null ? "did not start" : <time dateTime={new Date(attempt.startedAt).toISOString()}>{exactTime(attempt.startedAt, utc)}</time>}</td>
                    <td>{attempt.startedAt !== null && attempt.finishedAt !== null ? formatDuration(attempt.finishedAt - attempt.startedAt) : attempt.startedAt !== null ? "running" : "—"}</td>
                    <td>{isLast && task.cpu_ms !== null ? formatDuration(task.cpu_ms) : <span class="muted" title="The API gives the resources of the last attempt only">—</span>}</td>
                    <td>{isLast && task.peak_rss_bytes !== null ? formatBytes(task.peak_rss_bytes) : <span class="muted" title="The API gives the resources of the last attempt only">—</span>}</td>
                    <td class="cell-wrap">{attempt.reason ?? ""}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {argv && (
        <details class="command">
          <summary>Command</summary>
          <pre class="command__argv">{argv.length === 3 && /^(sh|bash|zsh|dash)$/.test(argv[0]!) && argv[1] === "-c" ? argv[2] : argv.map((word) => (/\s/.test(word) ? JSON.stringify(word) : word)).join(" ")}</pre>
        </details>
      )}

      {(errors.length > 0 || warnings.length > 0) && (
        <section class="messages" aria-labelledby={`messages-${task.path}`}>
          <h3 id={`messages-${task.path}`}>
            {[errors.length > 0 && plural(task.errors, "error"), warnings.length > 0 && plural(task.warnings, "warning")].filter(Boolean).join(", ")}
            {(task.errors > errors.length || task.warnings > warnings.length) && <span class="muted"> (the first 100 of each are kept; the log has them all)</span>}
          </h3>
          <ul class="messages__list">
            {task.messages.map((message, index) => (
              <li key={index} class={`message message--${message.level}`}>
                <span class="message__level">
                  <span class="message__icon" aria-hidden="true">
                    {message.level === "error" ? "✕" : "!"}
                  </span>
                  {message.level}
                </span>
                <span class="message__text">{message.text}</span>
                <span class="message__when muted">
                  {exactTime(message.ts, utc)} · {message.stream}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}

      <MetricsTable metrics={task.metrics} caption="Metrics" />

      <KeyValueTable caption="Outputs" rows={outputs} />

      <section class="artifacts" aria-labelledby={`artifacts-${task.path}`}>
        <h3 id={`artifacts-${task.path}`}>Artifacts</h3>
        {artifactsError ? (
          <p class="notice notice--error" role="alert">
            {artifactsError}
          </p>
        ) : artifacts === undefined ? (
          <p class="muted">Loading…</p>
        ) : mine.length === 0 ? (
          <p class="muted">None kept.</p>
        ) : (
          <ul class="artifacts__list">
            {mine.map((artifact) => (
              <li key={artifact.name}>
                <a href={artifact.url} download={artifact.name.split("/").pop()}>
                  {artifact.name}
                </a>{" "}
                <span class="muted">{formatBytes(artifact.size)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {run.state === "running" && task.state === "running" && <p class="muted">Its warnings, errors, metrics and outputs are counted when it ends.</p>}
    </div>
  );
}

function TaskLogs({ run, task, attempt, onAttempt }: TaskPanelProps & { task: TaskRun }) {
  const live = run.finished_at === null && (task.state === "running" || task.state === "pending");
  const count = task.attempts;
  return (
    <div class="task-logs">
      {count > 1 && (
        <div class="task-logs__attempt">
          <label for={`attempt-${task.path}`}>Attempt</label>
          <select id={`attempt-${task.path}`} value={String(attempt ?? count)} onChange={(event) => onAttempt(Number((event.target as HTMLSelectElement).value) === count ? undefined : Number((event.target as HTMLSelectElement).value))}>
            {Array.from({ length: count }, (_, i) => i + 1).map((n) => (
              <option key={n} value={String(n)}>
                {n}
                {n === count ? " (last)" : ""}
              </option>
            ))}
          </select>
        </div>
      )}
      {task.attempts === 0 ? (
        <p class="muted">It did not run: no log{task.state === "pending" ? " yet" : ""}.</p>
      ) : (
        <LogView runId={run.id} task={task.path} attempt={attempt} live={live && (attempt === undefined || attempt === count)} />
      )}
    </div>
  );
}

function GroupDetails({ run, path, model }: { run: Run; path: string; model: GraphModel | undefined }) {
  const group = run.groups.find((entry) => entry.path === path)!;
  const leaves = model ? tasksUnder(model, path) : run.tasks.filter((task) => task.path.startsWith(`${path}/`) || task.path.startsWith(`${path}[`)).map((task) => task.path);
  const stateOf = new Map(run.tasks.map((task) => [task.path, task.state] as const));
  const counts: Record<string, number> = {};
  for (const leaf of leaves) {
    const state = stateOf.get(leaf) ?? "pending";
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return (
    <div class="task-details">
      <dl class="facts">
        <Fact term="State">{stateLabel(group.state)}</Fact>
        <Fact term="Tasks">
          {plural(leaves.length, "task")}: {countsInWords(counts)}
        </Fact>
        <Fact term="Warnings">{group.warnings}</Fact>
        <Fact term="Errors">{group.errors}</Fact>
      </dl>
      <MetricsTable metrics={group.metrics} caption="Metrics" />
      <ul class="group-tasks">
        {leaves.slice(0, 200).map((leaf) => {
          const state = stateOf.get(leaf) ?? "pending";
          return (
            <li key={leaf}>
              <StateIcon state={state} /> <a href={`?task=${encodeURIComponent(leaf)}`}>{leaf}</a> <span class="muted">{stateLabel(state)}</span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
