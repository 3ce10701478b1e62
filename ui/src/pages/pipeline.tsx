/**
 * A pipeline: its graph, history grid, durations, next fire times, definition.
 * A placeholder until this page is built; it is loaded on first visit (see app.tsx).
 */
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";

export default function PipelinePage({ params }: PageProps) {
  usePageTitle("A pipeline");
  return (
    <section class="placeholder">
      <h1>A pipeline</h1>
      <p>This page is not built yet: its graph, history grid, durations, next fire times, definition.</p>
      {Object.keys(params).length > 0 && <p class="muted">{Object.entries(params).map(([key, value]) => `${key}: ${value}`).join(", ")}</p>}
    </section>
  );
}
