/**
 * Compare two runs: args, each task's state, duration, exit code and resources side by side.
 * A placeholder until this page is built; it is loaded on first visit (see app.tsx).
 */
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";

export default function ComparePage({ params }: PageProps) {
  usePageTitle("Compare two runs");
  return (
    <section class="placeholder">
      <h1>Compare two runs</h1>
      <p>This page is not built yet: args, each task's state, duration, exit code and resources side by side.</p>
      {Object.keys(params).length > 0 && <p class="muted">{Object.entries(params).map(([key, value]) => `${key}: ${value}`).join(", ")}</p>}
    </section>
  );
}
