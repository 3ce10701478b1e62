/** Namespaces with where their definitions came from: file, host and user, author, when applied. */
import { ErrorMessage } from "../../components/error-message";
import { RelativeTime } from "../../components/time-label";
import { userAtHost } from "../../format/origin";
import { paths } from "../../router/routes";
import { listNamespaces } from "../pipeline/api";
import { useLoaded } from "./use-loaded";

const byName = async () => (await listNamespaces()).sort((a, b) => (a.name < b.name ? -1 : 1));

export function Namespaces({ reloadKey }: { reloadKey: number }) {
  const { value: namespaces, error } = useLoaded(byName, true, reloadKey);

  return (
    <section class="panel" id="namespaces" aria-labelledby="namespaces-title">
      <h2 id="namespaces-title">Namespaces</h2>
      {error !== undefined && <ErrorMessage error={error} />}
      {namespaces === undefined ? (
        error === undefined && <p class="loading">Loading…</p>
      ) : namespaces.length === 0 ? (
        <p class="muted">None yet: apply a definitions file (spire apply -f spire.yaml).</p>
      ) : (
        <div class="table-scroll">
          <table class="data-table stack-table">
            <thead>
              <tr>
                <th scope="col">Namespace</th>
                <th scope="col">File</th>
                <th scope="col">Host</th>
                <th scope="col">Author</th>
                <th scope="col">Applied</th>
              </tr>
            </thead>
            <tbody>
              {namespaces.map((namespace) => (
                <tr key={namespace.name}>
                  <th scope="row" data-label="Namespace">
                    <a href={`${paths.pipelines()}?ns=${encodeURIComponent(namespace.name)}`}>{namespace.name}</a>
                  </th>
                  <td data-label="File">{namespace.origin.path ? <code class="path">{namespace.origin.path}</code> : <span class="muted">through the API</span>}</td>
                  <td data-label="Host">{userAtHost(namespace.origin) ?? <span class="muted">—</span>}</td>
                  <td data-label="Author">{namespace.origin.author ?? <span class="muted">—</span>}</td>
                  <td data-label="Applied">
                    <RelativeTime time={namespace.origin.applied_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
