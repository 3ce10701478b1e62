/** The logs part of a comparison: for each task whose log differs, the first line that does, A's and B's, with where they part marked. */
import { useEffect, useMemo, useState } from "preact/hooks";
import { paths, withQuery } from "../../router/routes";
import { LINE_LIMIT, LogComparison, type LogVerdict } from "./log-diff";

/** The two lines with their common start plain and the rest marked. */
function Parted({ a, b }: { a: string | null; b: string | null }) {
  let common = 0;
  if (a !== null && b !== null) while (common < a.length && common < b.length && a[common] === b[common]) common++;
  const side = (text: string | null, label: "A" | "B") => (
    <div class="log-line">
      <span class="pair__tag" aria-hidden="true">
        {label}
      </span>
      <span class="visually-hidden">{label}: </span>
      {text === null ? (
        <span class="muted">(the log ends before this line)</span>
      ) : (
        <code>
          {text.slice(0, common)}
          {common < text.length && <mark>{text.slice(common)}</mark>}
          {text === "" && <span class="muted">(an empty line)</span>}
        </code>
      )}
    </div>
  );
  return (
    <div class="log-pair">
      {side(a, "A")}
      {side(b, "B")}
    </div>
  );
}

function summaryOf(verdicts: ReadonlyMap<string, LogVerdict>) {
  const counts = { same: 0, differs: 0, stopped: 0, error: 0, open: 0 };
  for (const verdict of verdicts.values()) {
    if (verdict.kind === "pending" || verdict.kind === "reading") counts.open++;
    else counts[verdict.kind]++;
  }
  return counts;
}

export function LogDiffs({ runA, runB, tasks, waiting }: { runA: string; runB: string; tasks: string[]; waiting: boolean }) {
  const comparison = useMemo(() => new LogComparison(runA, runB), [runA, runB]);
  const [ignoreDigits, setIgnoreDigits] = useState(false);
  const taskKey = tasks.join("\n");

  useEffect(() => {
    if (tasks.length > 0) void comparison.start(tasks, ignoreDigits);
    return () => comparison.stop();
  }, [comparison, taskKey, ignoreDigits]);

  const verdicts = comparison.verdicts.value;
  const running = comparison.running.value;
  const counts = summaryOf(verdicts);
  const entries = [...verdicts.entries()];
  const same = entries.filter(([, verdict]) => verdict.kind === "same").map(([task]) => task);
  const stopped = entries.filter(([, verdict]) => verdict.kind === "stopped");

  return (
    <section class="panel" aria-labelledby="logs-title">
      <div class="panel__head">
        <h2 id="logs-title">First differing log line</h2>
        <label class="check">
          <input type="checkbox" checked={ignoreDigits} onChange={(event) => setIgnoreDigits(event.currentTarget.checked)} /> Ignore digits (times, counts, ids)
        </label>
      </div>
      <p class="muted compare-note">
        stdout and stderr are compared apart, line by line, up to {LINE_LIMIT.toLocaleString()} lines of each task's log; the last attempt of each run.
      </p>
      {waiting ? (
        <p class="muted">A run is still going: its logs are compared once both have finished.</p>
      ) : tasks.length === 0 ? (
        <p class="muted">No task ran in both runs.</p>
      ) : (
        <>
          <div class="log-status" role="status">
            {running ? `Comparing: ${tasks.length - counts.open} of ${tasks.length} tasks done…` : counts.open > 0 ? `Stopped: ${tasks.length - counts.open} of ${tasks.length} tasks compared.` : `${tasks.length} tasks compared: ${counts.differs} differ.`}
            {running && (
              <button type="button" class="button button--small" onClick={() => comparison.stop()}>
                Stop
              </button>
            )}
            {!running && counts.open > 0 && (
              <button type="button" class="button button--small" onClick={() => void comparison.start(tasks, ignoreDigits)}>
                Compare again
              </button>
            )}
          </div>
          <ul class="log-diffs">
            {entries.map(([task, verdict]) => {
              if (verdict.kind === "differs")
                return (
                  <li key={task} class="log-diff">
                    <p class="log-diff__where">
                      <strong>{task}</strong>, {verdict.stream} line {verdict.line.toLocaleString()}
                      <span class="log-diff__links">
                        <a href={withQuery(paths.run(runA), { task })}>
                          in A<span class="visually-hidden"> ({task})</span>
                        </a>
                        <a href={withQuery(paths.run(runB), { task })}>
                          in B<span class="visually-hidden"> ({task})</span>
                        </a>
                      </span>
                    </p>
                    <Parted a={verdict.a} b={verdict.b} />
                  </li>
                );
              if (verdict.kind === "error")
                return (
                  <li key={task} class="log-diff">
                    <p class="log-diff__where">
                      <strong>{task}</strong>: <span class="error-text">{verdict.message}</span>
                    </p>
                  </li>
                );
              if (verdict.kind === "reading")
                return (
                  <li key={task} class="log-diff log-diff--open">
                    <strong>{task}</strong>: <span class="muted">reading{verdict.lines > 0 ? ` (${verdict.lines.toLocaleString()} lines the same so far)` : ""}…</span>
                  </li>
                );
              return null;
            })}
          </ul>
          {stopped.length > 0 && (
            <p class="notice">
              Stopped at {LINE_LIMIT.toLocaleString()} lines, the same up to there, in: {stopped.map(([task]) => task).join(", ")}.
            </p>
          )}
          {same.length > 0 && (
            <p class="muted">
              The same log in {same.length} {same.length === 1 ? "task" : "tasks"}: {same.join(", ")}.
            </p>
          )}
        </>
      )}
    </section>
  );
}
