/** The CLI's exit codes, and the one error type it prints without a stack trace. */
import { EngineUnreachable } from "../client/port.js";
import { ServiceError } from "../engine/service.js";
import { DataFileError } from "../files/data-file-error.js";
import { SchemaTooNewError } from "../store/errors.js";

/** Documented in `spire --help` and the README; tests hold each command to them. */
export const EXIT = {
  ok: 0,
  /** A run failed (or was canceled), or something went wrong that is not the caller's mistake. */
  runFailed: 1,
  /** Bad usage, invalid definitions, or a request the engine refused (no such run, bad args, queue full). */
  usage: 2,
  /** No engine answers where one was named, or it refused the token. */
  unreachable: 3,
  /** Interrupted (Ctrl-C): the run was canceled and its processes are gone. */
  interrupted: 130,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
    /** Printed after the message: what to do next. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** What a client's refusal means at the terminal: its message, its details, what to do, and the exit code. */
export function cliErrorOf(error: unknown): CliError | undefined {
  if (error instanceof CliError) return error;
  // A file of the data folder the user must set right (a damaged database or secret): not Spire's bug, like a full disk.
  if (error instanceof DataFileError) return new CliError(error.message, EXIT.runFailed, error.hint);
  if (error instanceof SchemaTooNewError) return new CliError(error.message, EXIT.runFailed);
  if (error instanceof EngineUnreachable) {
    return new CliError(error.message, EXIT.unreachable, error.tls?.hint ?? "Is it running? Start it with: spire engine   (or check --engine and SPIRE_ENGINE)");
  }
  if (!(error instanceof ServiceError)) return undefined;
  const hint = hintOf(error.details);
  switch (error.code as string) {
    case "unauthorized":
      return new CliError(`the engine refused the token: ${error.message}`, EXIT.unreachable, "Set SPIRE_TOKEN to a valid token (spire token create), or run this as the user who runs the engine with its data folder (--data or SPIRE_DATA: the engine's token is kept there).");
    case "forbidden":
      // A scope the token lacks comes with the command that makes one; a Host the engine does not know says in its message what to do.
      return new CliError(`not allowed: ${error.message}`, EXIT.unreachable, hint);
    case "unavailable":
      return new CliError(error.message, EXIT.unreachable, hint);
    case "internal":
    case "disk_full":
      return new CliError(error.message, EXIT.runFailed, hint);
    default: {
      const details = formatDetails(error.details);
      return new CliError(`${error.message}${details ? `\n${details}` : ""}`, EXIT.usage, hint);
    }
  }
}

/** A refusal's `details.hint` as the CLI prints hints: a sentence. */
export function hintOf(details: unknown): string | undefined {
  const hint = (details as { hint?: unknown } | null)?.hint;
  return typeof hint === "string" ? `${hint[0]!.toUpperCase()}${hint.slice(1)}.`.replace(/\.\.$/, ".") : undefined;
}

/** The details of a refusal, one per line: definition errors at their place, bad arguments as they were given. */
function formatDetails(details: unknown): string {
  if (!Array.isArray(details)) return "";
  return details
    .map((item) => {
      if (typeof item === "string") return `  ${item}`;
      const error = item as { file?: string; line?: number; column?: number; keyPath?: string; message?: string; hint?: string };
      if (error.message === undefined) return `  ${JSON.stringify(item)}`;
      const where = error.file ? `${error.file}${error.line ? `:${error.line}:${error.column}` : ""}  ` : "";
      return `  ${where}${error.keyPath ? `${error.keyPath}: ` : ""}${error.message}${error.hint ? ` — ${error.hint}` : ""}`;
    })
    .join("\n");
}
