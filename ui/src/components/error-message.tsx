/** An API refusal as a person reads it: the engine's message, and its details when they help. */
import { ApiError, detailLines, messageOf } from "../api/api-error";

export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  const details = error instanceof ApiError ? detailLines(error.details) : [];
  return (
    <div class="notice notice--error" role="alert">
      {title && <strong>{title} </strong>}
      {messageOf(error)}
      {details.length > 0 && (
        <ul class="notice__details">
          {details.slice(0, 20).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
