/**
 * Engine: tokens, sessions, the audit log, namespaces and the engine itself.
 * A placeholder until this page is built; it is loaded on first visit (see app.tsx).
 */
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";

export default function EnginePage({ params }: PageProps) {
  usePageTitle("Engine");
  return (
    <section class="placeholder">
      <h1>Engine</h1>
      <p>This page is not built yet: tokens, sessions, the audit log, namespaces and the engine itself.</p>
      {Object.keys(params).length > 0 && <p class="muted">{Object.entries(params).map(([key, value]) => `${key}: ${value}`).join(", ")}</p>}
    </section>
  );
}
