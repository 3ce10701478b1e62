/**
 * Errors in a definitions file, as a user sees them: where (file, line,
 * column, key path), what is wrong, what was expected, and how to fix it.
 */
import { isAbsolute, relative } from "node:path";

export interface DefinitionError {
  file: string;
  /** 1-based, in the original file; 0 only when the file as a whole is concerned (it could not be read). */
  line: number;
  column: number;
  /** "pipelines.backup.tasks.dump.timeout", arrays as "triggers[0]"; "" for the document itself. */
  keyPath: string;
  /** What is wrong, in words a user acts on. */
  message: string;
  /** What was expected ("a duration such as 10s", "one of: none, latest, all"). */
  expected?: string;
  /** "did you mean `needs`?", or how to fix it. */
  hint?: string;
  /**
   * Absent for an error. A warning says something will not work as the file
   * seems to mean (an `at` already past), without blocking validate or apply.
   */
  severity?: "warning";
}

export type PathSegment = string | number;

/** `["pipelines", "p", "triggers", 0, "at"]` → `pipelines.p.triggers[0].at`. Odd keys are quoted. */
export function formatKeyPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** One error per line: `file:line:col  keyPath: message (expected …) — hint`; a warning's with `warning: ` before the key path. */
export function formatDefinitionErrors(errors: readonly DefinitionError[]): string {
  return errors.map(formatOne).join("\n");
}

let shownFrom: string | undefined;

/**
 * From now on, files under `folder` are named relative to it, as a user
 * typed them at a terminal there (`typo.yaml:8:9`, as its header says);
 * others by their whole path. Only the CLI's own commands set it: an
 * engine's messages go to logs and to clients elsewhere.
 */
export function showPathsFrom(folder: string | undefined): void {
  shownFrom = folder;
}

function shownPath(file: string): string {
  if (shownFrom === undefined || !isAbsolute(file)) return file;
  const below = relative(shownFrom, file);
  return below === "" || below.startsWith("..") || isAbsolute(below) ? file : below;
}

function formatOne(error: DefinitionError): string {
  const file = shownPath(error.file);
  const where = error.line > 0 ? `${file}:${error.line}:${error.column}` : file;
  const severity = error.severity === "warning" ? "warning: " : "";
  let text = `${where}  ${severity}${error.keyPath === "" ? "" : `${error.keyPath}: `}${error.message}`;
  // A message may already name what it expected ("expected a list, got a string"); say it once.
  if (error.expected !== undefined && !error.message.includes(error.expected)) text += ` (expected ${error.expected})`;
  if (error.hint !== undefined) text += ` — ${error.hint}`;
  return text;
}

export const isWarning = (error: DefinitionError): boolean => error.severity === "warning";

/** Sorted by position, then key path; exact duplicates dropped. */
export function sortErrors(errors: readonly DefinitionError[]): DefinitionError[] {
  const seen = new Set<string>();
  const unique = errors.filter((error) => {
    const key = formatOne(error);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => a.line - b.line || a.column - b.column || a.keyPath.localeCompare(b.keyPath));
}
