/**
 * A run: its graph, timeline, tasks and logs, live.
 * A placeholder until this page is built; it is loaded on first visit (see app.tsx).
 */
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";
// TEMPORARY (h-logs only, for trying the log viewer): ?task=PATH[&attempt=N][&live=1] shows that task's log. The run page replaces this file.
import { LogView } from "../logs/log-view";
import { currentQuery } from "../router/router";

export default function RunPage({ params }: PageProps) {
  usePageTitle("A run");
  // TEMPORARY (h-logs only): see the import above.
  const task = currentQuery.value.get("task");
  if (task && params.id) {
    const attempt = Number(currentQuery.value.get("attempt")) || undefined;
    return <LogView runId={params.id} task={task} attempt={attempt} live={currentQuery.value.get("live") === "1"} />;
  }
  return (
    <section class="placeholder">
      <h1>A run</h1>
      <p>This page is not built yet: its graph, timeline, tasks and logs, live.</p>
      {Object.keys(params).length > 0 && <p class="muted">{Object.entries(params).map(([key, value]) => `${key}: ${value}`).join(", ")}</p>}
    </section>
  );
}
