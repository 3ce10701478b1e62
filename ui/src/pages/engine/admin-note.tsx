/** What a section shows to a session below admin, instead of a refusal. */
import { whoAmI } from "../../api/session";

export function AdminNote({ what }: { what: string }) {
  const scope = whoAmI.value?.scope ?? "read";
  return (
    <p class="admin-note">
      {what} needs an admin session; this one has the scope <strong>{scope}</strong>. Log in with an admin token to see {what.toLowerCase().startsWith("the ") ? "it" : "them"}.
    </p>
  );
}

/** A state word for a token or a session: active, expired or revoked (with when). */
export function tokenState(record: { expires_at: string | null; revoked_at: string | null }, now: number): "active" | "expired" | "revoked" {
  if (record.revoked_at) return "revoked";
  if (record.expires_at && Date.parse(record.expires_at) <= now) return "expired";
  return "active";
}
