/** Browser sessions that still work: where they came from, their scope and times; the current one marked; each can be ended. */
import { useState } from "preact/hooks";
import { isAdmin, whoAmI } from "../../api/session";
import { CardBody, CardHead, CardRow, CardTable, Cell, ColumnHeader, RowHeader } from "../../components/card-table";
import { ErrorMessage } from "../../components/error-message";
import { RelativeTime } from "../../components/time-label";
import { AdminNote } from "./admin-note";
import { ConfirmDialog } from "./confirm-dialog";
import { listSessions, revokeSession, type SessionRecord } from "./api";
import { useLoaded } from "./use-loaded";

export function Sessions() {
  const admin = isAdmin.value;
  const current = whoAmI.value?.session?.id;
  const { value: sessions, error, reload } = useLoaded(listSessions, admin);
  const [ending, setEnding] = useState<SessionRecord | null>(null);

  return (
    <section class="panel" id="sessions" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Browser sessions</h2>
      {!admin ? (
        <AdminNote what="The list of sessions" />
      ) : (
        <>
          {error !== undefined && <ErrorMessage error={error} />}
          {sessions === undefined ? (
            error === undefined && <p class="loading">Loading…</p>
          ) : sessions.length === 0 ? (
            <p class="muted">No browser session is open (this page was opened with an API token).</p>
          ) : (
            <div class="table-scroll">
              <CardTable class="data-table stack-table" aria-labelledby="sessions-title">
                <CardHead>
                  <CardRow>
                    <ColumnHeader>Session</ColumnHeader>
                    <ColumnHeader>From token</ColumnHeader>
                    <ColumnHeader>Scope</ColumnHeader>
                    <ColumnHeader>Created</ColumnHeader>
                    <ColumnHeader>Expires</ColumnHeader>
                    <ColumnHeader>Last used</ColumnHeader>
                    <ColumnHeader>
                      <span class="visually-hidden">Actions</span>
                    </ColumnHeader>
                  </CardRow>
                </CardHead>
                <CardBody>
                  {sessions.map((session) => {
                    const mine = session.id === current;
                    return (
                      <CardRow key={session.id} class={mine ? "is-current" : undefined}>
                        <RowHeader label="Session">
                          {/* Named as the header, a run's trigger and the audit log's actor name it; the id is the audit log's target of session.create. */}
                          {session.name} {mine && <span class="tag tag--accent">this browser</span>}
                          <br />
                          <span class="mono muted">{session.id}</span>
                        </RowHeader>
                        <Cell label="From token">{session.from ?? <span class="muted">—</span>}</Cell>
                        <Cell label="Scope">
                          <span class={`scope scope--${session.scope}`}>{session.scope}</span>
                        </Cell>
                        <Cell label="Created">
                          <RelativeTime time={session.created_at} />
                        </Cell>
                        <Cell label="Expires">{session.expires_at ? <RelativeTime time={session.expires_at} /> : <span class="muted">never</span>}</Cell>
                        <Cell label="Last used">{session.last_used_at ? <RelativeTime time={session.last_used_at} /> : <span class="muted">—</span>}</Cell>
                        <Cell class="actions">
                          <button type="button" class="button button--small" aria-label={mine ? "Log out… (end this browser's session)" : `End ${session.name}…`} onClick={() => setEnding(session)}>
                            {mine ? "Log out…" : "End…"}
                          </button>
                        </Cell>
                      </CardRow>
                    );
                  })}
                </CardBody>
              </CardTable>
            </div>
          )}
        </>
      )}
      {ending && (
        <EndDialog
          session={ending}
          mine={ending.id === current}
          onClose={() => setEnding(null)}
          onDone={() => {
            setEnding(null);
            // Ending this browser's own session: the next request is refused, and the app goes to the login page.
            reload();
          }}
        />
      )}
    </section>
  );
}

function EndDialog({ session, mine, onClose, onDone }: { session: SessionRecord; mine: boolean; onClose: () => void; onDone: () => void }) {
  return (
    <ConfirmDialog
      title={mine ? "End this browser's session" : `End ${session.name}`}
      description={mine ? "This logs this browser out: you will need a new login link (spire ui) or a token to come back." : "Its browser is logged out at its next request."}
      confirm={mine ? "Log out" : "End it"}
      busy="Ending…"
      action={() => revokeSession(session.id)}
      onDone={onDone}
      onClose={onClose}
    />
  );
}
