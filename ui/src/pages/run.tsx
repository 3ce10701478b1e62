/**
 * A run: its graph, timeline, tasks and logs, live.
 * A placeholder until this page is built; it is loaded on first visit (see app.tsx).
 */
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";

export default function RunPage({ params }: PageProps) {
  usePageTitle("A run");
  return (
    <section class="placeholder">
      <h1>A run</h1>
      <p>This page is not built yet: its graph, timeline, tasks and logs, live.</p>
      {Object.keys(params).length > 0 && <p class="muted">{Object.entries(params).map(([key, value]) => `${key}: ${value}`).join(", ")}</p>}
    </section>
  );
}
