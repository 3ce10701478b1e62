/** A path the UI has no view for. */
import { usePageTitle } from "../components/page-title";
import { currentPath } from "../router/router";

export default function NotFoundPage() {
  usePageTitle("Not found");
  return (
    <section class="placeholder">
      <h1>Nothing here</h1>
      <p>
        The UI has no page at <code>{currentPath.value}</code>. Go to the <a href="/">pipelines</a> or the <a href="/runs">runs</a>.
      </p>
    </section>
  );
}
