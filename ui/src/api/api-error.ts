/**
 * A refusal from the engine, or no answer at all. The message is always one
 * a person can act on: the API's own, or ours when there was none; never a
 * stack trace or the text of a browser exception.
 */
export class ApiError extends Error {
  constructor(
    /** The API's error.code (invalid_args, queue_full, …), or "unreachable" when the engine did not answer. */
    readonly code: string,
    message: string,
    /** The API's error.details: a list of problems, or null. */
    readonly details: unknown,
    /** The HTTP status; 0 when there was no answer. */
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** What to show for anything caught around an API call. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return "Something went wrong in this page. Reload it to try again.";
}

/** The details as a list of strings, whatever their shape (strings, or objects with a message). */
export function detailLines(details: unknown): string[] {
  if (!Array.isArray(details)) return [];
  return details.map((entry) => {
    if (typeof entry === "string") return entry;
    if (entry && typeof entry === "object") {
      const { path, message } = entry as { path?: unknown; message?: unknown };
      const where = Array.isArray(path) ? path.join(".") : typeof path === "string" ? path : "";
      if (typeof message === "string") return where ? `${where}: ${message}` : message;
    }
    return JSON.stringify(entry);
  });
}
