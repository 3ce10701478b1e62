/**
 * Logging in without a token in any URL: a one-time link from `spire ui`
 * carries its code in the fragment (#code=…), which browsers never send to
 * a server; otherwise a pasted API token. Either becomes an HttpOnly session
 * cookie; the page keeps neither.
 */
import { useEffect, useId, useState } from "preact/hooks";
import { messageOf } from "../api/api-error";
import { logIn, whoAmI } from "../api/session";
import { usePageTitle } from "../components/page-title";
import { startLiveEvents } from "../live/events";
import { currentQuery, navigate, safeNext } from "../router/router";

function codeInHash(): string | null {
  const match = /^#code=([^&]+)/.exec(location.hash);
  return match ? decodeURIComponent(match[1]!) : null;
}

function clearHash(): void {
  history.replaceState(null, "", location.pathname + location.search);
}

export default function LoginPage() {
  usePageTitle("Log in");
  const next = safeNext(currentQuery.value.get("next"));
  const [code] = useState(codeInHash);
  const [linkState, setLinkState] = useState<"none" | "working" | "failed">(code ? "working" : "none");
  const [linkError, setLinkError] = useState<string | null>(null);

  function done() {
    startLiveEvents();
    navigate(next, { replace: true });
  }

  useEffect(() => {
    if (!code) {
      if (whoAmI.value) navigate(next, { replace: true });
      return;
    }
    // The code is good once: take it out of the address bar (and history) before anything else.
    clearHash();
    logIn({ code }).then(done, (error: unknown) => {
      setLinkError(messageOf(error));
      setLinkState("failed");
    });
  }, []);

  return (
    <main id="main" class="login">
      <h1 class="login__brand">Spire</h1>
      {linkState === "working" ? (
        <p role="status">Logging you in…</p>
      ) : (
        <>
          {linkState === "failed" && (
            <p class="notice notice--error" role="alert">
              {linkError}
            </p>
          )}
          <TokenForm onDone={done} />
        </>
      )}
    </main>
  );
}

function TokenForm({ onDone }: { onDone: () => void }) {
  const fieldId = useId();
  const hintId = useId();
  const errorId = useId();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError("Paste a token first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await logIn({ token: value });
      setToken("");
      onDone();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="login__form" onSubmit={submit} noValidate>
      <h2>Log in</h2>
      <p class="muted">
        On the engine's machine, <code>spire ui</code> opens this page logged in.
      </p>
      <div class={`field${error ? " field--invalid" : ""}`}>
        <label for={fieldId}>Paste an API token</label>
        <input
          id={fieldId}
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${hintId}${error ? ` ${errorId}` : ""}`}
        />
        <p id={hintId} class="field__hint">
          For an engine on another machine: make one there with <code>spire token create --scope run</code> (or <code>--scope read</code> to only look).
        </p>
        {error && (
          <p id={errorId} class="field__error" role="alert">
            {error}
          </p>
        )}
      </div>
      <button type="submit" class="button button--primary" disabled={busy}>
        {busy ? "Logging in…" : "Log in"}
      </button>
    </form>
  );
}
