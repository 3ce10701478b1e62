/**
 * API tokens: the list (never the tokens themselves), a new one made with a
 * name, a scope and a lifetime and shown once, and revoking one after
 * saying what that does.
 */
import { useState } from "preact/hooks";
import { ApiError, detailLines, messageOf } from "../../api/api-error";
import { isAdmin, whoAmI } from "../../api/session";
import type { Scope } from "../../api/types";
import { shellLine } from "../../cli/shell-quote";
import { CardBody, CardHead, CardRow, CardTable, Cell, ColumnHeader, RowHeader } from "../../components/card-table";
import { CopyCli } from "../../components/copy-cli";
import { Dialog } from "../../components/dialog";
import { ErrorMessage } from "../../components/error-message";
import { RelativeTime } from "../../components/time-label";
import { now } from "../../time/now";
import { AdminNote, tokenState } from "./admin-note";
import { ConfirmDialog } from "./confirm-dialog";
import { createToken, listTokens, revokeToken, type TokenInfo } from "./api";
import { SecretField } from "./secret-field";
import { useLoaded } from "./use-loaded";

const SCOPES: { scope: Scope; words: string }[] = [
  { scope: "read", words: "read: see pipelines, runs and logs" },
  { scope: "run", words: "run: also start, cancel, retry, pause and resume" },
  { scope: "admin", words: "admin: also apply definitions, tokens, sessions, the audit log" },
  { scope: "worker", words: "worker: only for a machine that runs tasks for this engine (spire worker --token)" },
];

function createCommand(name: string, scope: Scope, ttl: string): string {
  const words = ["spire", "token", "create", "--scope", scope];
  if (ttl.trim()) words.push("--ttl", ttl.trim());
  if (name.trim()) words.push("--name", name.trim());
  return shellLine(words);
}

export function Tokens() {
  const admin = isAdmin.value;
  const { value: tokens, error, reload } = useLoaded(listTokens, admin);
  const [dialog, setDialog] = useState<{ kind: "create" } | { kind: "created"; token: string; info: TokenInfo } | { kind: "revoke"; token: TokenInfo } | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);

  // The clock signal says when to re-render; times count from the real time (a record made a moment ago never reads as future).
  const clock = Math.max(now.value, Date.now());
  const shown = (tokens ?? []).filter((token) => showRevoked || !token.revoked_at);
  const revokedCount = (tokens ?? []).filter((token) => token.revoked_at).length;

  return (
    <section class="panel" id="tokens" aria-labelledby="tokens-title">
      <div class="panel__head">
        <h2 id="tokens-title">API tokens</h2>
        {admin && (
          <button type="button" class="button button--primary" onClick={() => setDialog({ kind: "create" })}>
            New token…
          </button>
        )}
      </div>
      {!admin ? (
        <AdminNote what="The list of tokens" />
      ) : (
        <>
          {error !== undefined && <ErrorMessage error={error} />}
          {tokens === undefined ? (
            error === undefined && <p class="loading">Loading…</p>
          ) : tokens.length === 0 ? (
            <p class="muted">No tokens yet.</p>
          ) : (
            <>
              {revokedCount > 0 && (
                <label class="check">
                  <input type="checkbox" checked={showRevoked} onChange={(event) => setShowRevoked(event.currentTarget.checked)} /> Show the {revokedCount} revoked
                </label>
              )}
              <div class="table-scroll">
                <CardTable class="data-table stack-table" aria-labelledby="tokens-title">
                  <CardHead>
                    <CardRow>
                      <ColumnHeader>Name</ColumnHeader>
                      <ColumnHeader>Scope</ColumnHeader>
                      <ColumnHeader>State</ColumnHeader>
                      <ColumnHeader>Created</ColumnHeader>
                      <ColumnHeader>Expires</ColumnHeader>
                      <ColumnHeader>Last used</ColumnHeader>
                      <ColumnHeader>
                        <span class="visually-hidden">Actions</span>
                      </ColumnHeader>
                    </CardRow>
                  </CardHead>
                  <CardBody>
                    {shown.map((token) => {
                      const state = tokenState(token, clock);
                      return (
                        <CardRow key={token.id} class={state !== "active" ? "is-inactive" : undefined}>
                          <RowHeader label="Name">
                            {token.name} <span class="muted mono">{token.id}</span>
                          </RowHeader>
                          <Cell label="Scope">
                            <span class={`scope scope--${token.scope}`}>{token.scope}</span>
                          </Cell>
                          <Cell label="State">
                            <span class={`token-state token-state--${state}`}>{state}</span>
                            {token.revoked_at && (
                              <>
                                {" "}
                                <RelativeTime time={token.revoked_at} class="muted" />
                              </>
                            )}
                          </Cell>
                          <Cell label="Created">
                            <RelativeTime time={token.created_at} />
                          </Cell>
                          <Cell label="Expires">{token.expires_at ? <RelativeTime time={token.expires_at} /> : <span class="muted">never</span>}</Cell>
                          <Cell label="Last used">{token.last_used_at ? <RelativeTime time={token.last_used_at} /> : <span class="muted">never</span>}</Cell>
                          <Cell class="actions">
                            {state === "active" && (
                              <button type="button" class="button button--small" aria-label={`Revoke the token ${token.name}…`} onClick={() => setDialog({ kind: "revoke", token })}>
                                Revoke…
                              </button>
                            )}
                          </Cell>
                        </CardRow>
                      );
                    })}
                  </CardBody>
                </CardTable>
              </div>
            </>
          )}
        </>
      )}
      {dialog?.kind === "create" && (
        <CreateDialog
          onClose={() => setDialog(null)}
          onCreated={(token, info) => {
            setDialog({ kind: "created", token, info });
            reload();
          }}
        />
      )}
      {dialog?.kind === "created" && <CreatedDialog token={dialog.token} info={dialog.info} onClose={() => setDialog(null)} />}
      {dialog?.kind === "revoke" && (
        <RevokeDialog
          token={dialog.token}
          onClose={() => setDialog(null)}
          onDone={() => {
            setDialog(null);
            reload();
          }}
        />
      )}
    </section>
  );
}

function CreateDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (token: string, info: TokenInfo) => void }) {
  const [name, setName] = useState("");
  const [scope, setScope] = useState<Scope>("read");
  const [ttl, setTtl] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<{ name?: string; ttl?: string; form?: string; lines?: string[] }>({});

  async function submit(event: Event) {
    event.preventDefault();
    if (!name.trim()) {
      setErrors({ name: "Give it a name: it is how you will recognise it here and in the audit log." });
      document.getElementById("token-name")?.focus();
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const made = await createToken({ name: name.trim(), scope, ...(ttl.trim() ? { ttl: ttl.trim() } : {}) });
      onCreated(made.token, made.info);
    } catch (failure) {
      setBusy(false);
      const lines = failure instanceof ApiError ? detailLines(failure.details) : [];
      if (failure instanceof ApiError && failure.status === 409) {
        setErrors({ name: failure.message });
        document.getElementById("token-name")?.focus();
      } else {
        // The engine names the field ("body.ttl: …"); beside the field, its name is not repeated.
        const at = (field: string) => lines.find((line) => new RegExp(`^(?:body\\.)?${field}\\b`).test(line))?.replace(/^(?:body\.)?\w+:\s*/, "");
        const ttlLine = at("ttl");
        const nameLine = at("name");
        setErrors({
          // A pattern is no help to a person: the hint says what a lifetime looks like.
          ttl: ttlLine && /pattern/i.test(ttlLine) ? "Not a lifetime Spire reads: a number with a unit (90m, 12h, 30d), or seconds." : ttlLine,
          name: nameLine,
          form: ttlLine || nameLine ? undefined : messageOf(failure),
          lines: ttlLine || nameLine ? [] : lines,
        });
        document.getElementById(ttlLine ? "token-ttl" : "token-name")?.focus();
      }
    }
  }

  return (
    <Dialog title="New API token" onClose={onClose} description="For a script, another machine, or a login from a browser that spire ui cannot open.">
      <form onSubmit={submit} noValidate>
        {errors.form && (
          <div class="notice notice--error" role="alert">
            {errors.form}
            {errors.lines && errors.lines.length > 0 && (
              <ul class="notice__details">
                {errors.lines.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div class={`field${errors.name ? " field--invalid" : ""}`}>
          <label for="token-name">Name</label>
          <input
            id="token-name"
            value={name}
            required
            autoComplete="off"
            spellcheck={false}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? "token-name-error" : "token-name-hint"}
            onInput={(event) => setName(event.currentTarget.value)}
          />
          {errors.name ? (
            <p id="token-name-error" class="field__error">
              {errors.name}
            </p>
          ) : (
            <p id="token-name-hint" class="field__hint">
              Letters, digits, _, . and - (not first): ci, laptop, backup-box.
            </p>
          )}
        </div>
        <fieldset class="field scope-choice">
          <legend>Scope</legend>
          {SCOPES.map((choice) => (
            <label key={choice.scope} class="check">
              <input type="radio" name="token-scope" value={choice.scope} checked={scope === choice.scope} onChange={() => setScope(choice.scope)} /> {choice.words}
            </label>
          ))}
        </fieldset>
        <div class={`field${errors.ttl ? " field--invalid" : ""}`}>
          <label for="token-ttl">Lifetime</label>
          <input
            id="token-ttl"
            value={ttl}
            placeholder="never expires"
            autoComplete="off"
            spellcheck={false}
            aria-invalid={errors.ttl ? true : undefined}
            aria-describedby={`token-ttl-hint${errors.ttl ? " token-ttl-error" : ""}`}
            onInput={(event) => setTtl(event.currentTarget.value)}
          />
          <p id="token-ttl-hint" class="field__hint">
            12h, 30d, or seconds; empty: it never expires.
          </p>
          {errors.ttl && (
            <p id="token-ttl-error" class="field__error">
              {errors.ttl}
            </p>
          )}
        </div>
        <div class="dialog__actions">
          <button type="submit" class="button button--primary" disabled={busy}>
            {busy ? "Making it…" : "Make the token"}
          </button>
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <CopyCli command={createCommand(name, scope, ttl)} />
        </div>
      </form>
    </Dialog>
  );
}

function CreatedDialog({ token, info, onClose }: { token: string; info: TokenInfo; onClose: () => void }) {
  return (
    <Dialog title={`Token ${info.name} made`} onClose={onClose}>
      <p class="notice notice--warning" role="alert">
        <strong>Copy it now: it will not be shown again.</strong> The engine does not keep it; lost, it can only be revoked and made anew.
      </p>
      <SecretField id="new-token" value={token} label={`The token ${info.name}`} autofocus />
      <p class="field__hint">
        Scope {info.scope}; {info.expires_at ? "it expires " : "it never expires"}
        {info.expires_at && <RelativeTime time={info.expires_at} />}.{" "}
        {info.scope === "worker" ? (
          <>
            Give it to the worker on the other machine: <code>spire worker --engine URL --token TOKEN --labels …</code> (see Workers above).
          </>
        ) : (
          <>
            Paste it on the login page of a browser, or give it to a script as <code>Authorization: Bearer …</code>.
          </>
        )}
      </p>
      <div class="dialog__actions">
        <button type="button" class="button" onClick={onClose}>
          I have copied it
        </button>
      </div>
    </Dialog>
  );
}

function RevokeDialog({ token, onClose, onDone }: { token: TokenInfo; onClose: () => void; onDone: () => void }) {
  // GET /session names the token a session was made from (`from`), where the engine says.
  const mine = (whoAmI.value?.session as { from?: string | null } | null | undefined)?.from === token.name;
  return (
    <ConfirmDialog
      title={`Revoke the token ${token.name}`}
      description={
        mine
          ? "This browser's session was made from it: revoking it logs you out here too, with every other session made from it. This cannot be undone."
          : "It is refused from its next request on, and the browser sessions made from it end too. This cannot be undone."
      }
      confirm="Revoke"
      busy="Revoking…"
      action={() => revokeToken(token.id)}
      onDone={onDone}
      onClose={onClose}
    >
      <CopyCli command={shellLine(["spire", "token", "revoke", token.id])} />
    </ConfirmDialog>
  );
}
