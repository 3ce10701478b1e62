/** The home page: every pipeline, grouped by namespace (being built). */
import { usePageTitle } from "../components/page-title";

export default function PipelinesPage() {
  usePageTitle("Pipelines");
  return (
    <section>
      <h1>Pipelines</h1>
    </section>
  );
}
