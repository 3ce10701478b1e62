/**
 * Runs: every run, filtered by pipeline, state, trigger and date.
 * A placeholder until this page is built; it is loaded on first visit (see app.tsx).
 */
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";

export default function RunsPage({ params }: PageProps) {
  usePageTitle("Runs");
  return (
    <section class="placeholder">
      <h1>Runs</h1>
      <p>This page is not built yet: every run, filtered by pipeline, state, trigger and date.</p>
      {Object.keys(params).length > 0 && <p class="muted">{Object.entries(params).map(([key, value]) => `${key}: ${value}`).join(", ")}</p>}
    </section>
  );
}
