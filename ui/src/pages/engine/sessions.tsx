/** Browser sessions that still work: where they came from, their scope and times; the current one marked; each can be ended. */
import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../api/api-error";
import { isAdmin, whoAmI } from "../../api/session";
import { Dialog } from "../../components/dialog";
import { ErrorMessage } from "../../components/error-message";
import { RelativeTime } from "../../components/time-label";
import { freshNow } from "../runs/clock";
import { AdminNote } from "./admin-note";
import { listSessions, revokeSession, type SessionRecord } from "./api";

export function Sessions() {
  const admin = isAdmin.value;
  const current = whoAmI.value?.session?.id;
  const [sessions, setSessions] = useState<SessionRecord[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [ending, setEnding] = useState<SessionRecord | null>(null);

  async function load() {
    try {
      const list = await listSessions();
      freshNow();
      setSessions(list);
      setError(undefined);
    } catch (failure) {
      setError(failure);
    }
  }

  useEffect(() => {
    if (admin) void load();
  }, [admin]);

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
              <table class="data-table stack-table">
                <thead>
                  <tr>
                    <th scope="col">Session</th>
                    <th scope="col">From token</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Last used</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {sessions.map((session) => {
                    const mine = session.id === current;
                    return (
                      <tr key={session.id} class={mine ? "is-current" : undefined}>
                        <th scope="row" data-label="Session">
                          <span class="mono">{session.id}</span>
                          {mine && <span class="current-tag">this browser</span>}
                        </th>
                        <td data-label="From token">{session.from ?? <span class="muted">—</span>}</td>
                        <td data-label="Scope">
                          <span class={`scope scope--${session.scope}`}>{session.scope}</span>
                        </td>
                        <td data-label="Created">
                          <RelativeTime time={session.created_at} />
                        </td>
                        <td data-label="Expires">{session.expires_at ? <RelativeTime time={session.expires_at} /> : <span class="muted">never</span>}</td>
                        <td data-label="Last used">{session.last_used_at ? <RelativeTime time={session.last_used_at} /> : <span class="muted">—</span>}</td>
                        <td class="actions">
                          <button type="button" class="button button--small" aria-label={mine ? "End this browser's session (log out)…" : `End the session ${session.id}…`} onClick={() => setEnding(session)}>
                            {mine ? "Log out…" : "End…"}
                          </button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
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
            void load();
          }}
        />
      )}
    </section>
  );
}

function EndDialog({ session, mine, onClose, onDone }: { session: SessionRecord; mine: boolean; onClose: () => void; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await revokeSession(session.id);
      onDone();
    } catch (failure) {
      setBusy(false);
      setError(messageOf(failure));
    }
  }
  return (
    <Dialog
      title={mine ? "End this browser's session" : `End the session ${session.id}`}
      onClose={onClose}
      description={mine ? "This logs this browser out: you will need a new login link (spire ui) or a token to come back." : "Its browser is logged out at its next request."}
    >
      {error && (
        <p class="notice notice--error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog__actions">
        <button type="button" class="button button--danger" disabled={busy} onClick={confirm}>
          {busy ? "Ending…" : mine ? "Log out" : "End it"}
        </button>
        <button type="button" class="button" onClick={onClose} data-autofocus>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
