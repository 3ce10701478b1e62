/**
 * A pipeline's webhook: the URL to POST to, for everyone; its token, for
 * admin sessions only, shown on request and hidden again (it is not kept
 * once hidden, and not at all after leaving the page).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { messageOf } from "../../api/api-error";
import { API_BASE } from "../../api/client";
import { isAdmin } from "../../api/session";
import type { PipelineDetail } from "../../api/types";
import { shellLine } from "../../cli/shell-quote";
import { CopyCli } from "../../components/copy-cli";
import { SecretField } from "../engine/secret-field";
import { getHook } from "./api";

export function Webhook({ pipeline }: { pipeline: PipelineDetail }) {
  const [token, setToken] = useState<string | null>(null);
  const [path, setPath] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const admin = isAdmin.value;
  const showRef = useRef<HTMLButtonElement>(null);
  const moved = useRef(false);
  // The button pressed goes away: the focus goes to what replaced it.
  useEffect(() => {
    if (!moved.current) return;
    moved.current = false;
    if (token === null) showRef.current?.focus();
    else document.getElementById("hook-token")?.focus();
  }, [token]);
  const { namespace: ns, name } = pipeline;
  const url = `${location.origin}${path ?? `${API_BASE}/hooks/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`}`;
  // The token stays out of the copied command (and so out of shell history): it is read from a variable.
  const curl = `curl -X POST -H "Authorization: Bearer $SPIRE_HOOK_TOKEN" ${shellLine([url])}`;

  async function reveal() {
    setBusy(true);
    setError(null);
    try {
      const hook = await getHook(ns, name);
      moved.current = true;
      setToken(hook.token);
      setPath(hook.path);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="hook-title">
      <h2 id="hook-title">Webhook</h2>
      <p>
        A <code>POST</code> to this URL with the pipeline's hook token starts a run (a JSON body's <code>args</code> override the trigger's):
      </p>
      <p class="webhook__url">
        <code>{url}</code>
      </p>
      <div class="webhook__actions">
        <CopyCli command={url} label="Copy URL" />
        <CopyCli command={curl} label="Copy curl" />
        <CopyCli command={shellLine(["spire", "hook", `${ns}/${name}`])} />
      </div>
      {error && (
        <p class="notice notice--error" role="alert">
          {error}
        </p>
      )}
      {!admin ? (
        <p class="muted admin-note">The token needs an admin session to be seen.</p>
      ) : token === null ? (
        <button ref={showRef} type="button" class="button" disabled={busy} onClick={reveal}>
          {busy ? "Asking…" : "Show the token"}
        </button>
      ) : (
        <div class="webhook__token">
          <SecretField id="hook-token" value={token} label="Hook token" />
          <button
            type="button"
            class="button button--quiet"
            onClick={() => {
              moved.current = true;
              setToken(null);
            }}
          >
            Hide the token
          </button>
          <p class="field__hint">It starts this pipeline and nothing else. Anyone with it can start runs.</p>
        </div>
      )}
    </section>
  );
}
