/** Namespaces with where their definitions came from: file, host and user, author, when applied. */
import { CardBody, CardHead, CardRow, CardTable, Cell, ColumnHeader, RowHeader } from "../../components/card-table";
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
          <CardTable class="data-table stack-table" aria-labelledby="namespaces-title">
            <CardHead>
              <CardRow>
                <ColumnHeader>Namespace</ColumnHeader>
                <ColumnHeader>File</ColumnHeader>
                <ColumnHeader>Host</ColumnHeader>
                <ColumnHeader>Author</ColumnHeader>
                <ColumnHeader>Applied</ColumnHeader>
              </CardRow>
            </CardHead>
            <CardBody>
              {namespaces.map((namespace) => (
                <CardRow key={namespace.name}>
                  <RowHeader label="Namespace">
                    <a href={`${paths.pipelines()}?ns=${encodeURIComponent(namespace.name)}`}>{namespace.name}</a>
                  </RowHeader>
                  <Cell label="File">{namespace.origin.path ? <code class="path">{namespace.origin.path}</code> : <span class="muted">through the API</span>}</Cell>
                  <Cell label="Host">{userAtHost(namespace.origin) ?? <span class="muted">—</span>}</Cell>
                  <Cell label="Author">{namespace.origin.author ?? <span class="muted">—</span>}</Cell>
                  <Cell label="Applied">
                    <RelativeTime time={namespace.origin.applied_at} />
                  </Cell>
                </CardRow>
              ))}
            </CardBody>
          </CardTable>
        </div>
      )}
    </section>
  );
}
