/**
 * A prunner task's `script:` lines as one Spire `run:` text.
 *
 * prunner runs the lines one after another and stops at the first line that
 * fails, with that line's exit code. `set -e` would not do the same (it
 * ignores a failure on the left of `&&` or `||`), so every line but the last
 * is guarded by its own exit status: `LINE || exit`. With `allow_failure`
 * prunner runs every line whatever happens, so then the lines run as they are.
 *
 * prunner renders Go templates (`{{ .name }}`) into the text before the
 * shell reads it, so a value becomes shell code. Here a template becomes a
 * reference to an environment variable, quoted for the place it stands in
 * (`"${SPIRE_ARG_NAME}"` outside quotes, `${…}` inside double quotes and
 * here-documents, `'"${…}"'` inside single quotes; shell-script.ts reads the
 * script to know), so the script's shell only ever sees a value as a value.
 * Where something would parse the value again (`sh -c "… {{ .name }}"`,
 * `eval`, `echo {{ .name }} | sh`, `$(( ))`; prunner-nested.ts), no quoting
 * helps, and the file is refused at that template.
 */
import { nestedRefusals } from "./prunner-nested.js";
import { readScript, type Quoting, type TemplateSpan } from "./shell-script.js";

export interface TemplateUse {
  /** The variable named, e.g. `name` for `{{ .name }}`. */
  variable: string;
  /** The whole `{{ … }}` text, to point at it. */
  text: string;
}

export interface TemplateProblem {
  text: string;
  /** Which occurrence of `text` in the line it is (0: the first), to point at the right one. */
  occurrence: number;
  message: string;
  hint: string;
}

export interface RewrittenLine {
  text: string;
  uses: TemplateUse[];
  problems: TemplateProblem[];
}

interface Found extends TemplateSpan {
  text: string;
  /** The variable, for a template Spire reads; undefined for any other. */
  variable: string | undefined;
}

const VARIABLE = /^\.([A-Za-z_][A-Za-z0-9_]*)$/;
const SUPPORTED = "Spire reads prunner templates of the form {{ .NAME }} only (each becomes a variable the script reads from its environment)";

/**
 * Rewrites the `{{ .NAME }}` templates of one line; `envName` says which
 * variable holds each value. A template where the value would be parsed
 * again (prunner-nested.ts) is a problem, reported at its place.
 */
export function rewriteTemplates(line: string, envName: (variable: string) => string): RewrittenLine {
  const problems: TemplateProblem[] = [];
  const found: Found[] = [];
  for (let at = line.indexOf("{{"); at >= 0; at = line.indexOf("{{", at)) {
    const end = line.indexOf("}}", at + 2);
    if (end < 0) {
      problems.push({ text: "{{", occurrence: 0, message: "a template `{{` that is never closed with `}}`", hint: "close it, or remove it" });
      break;
    }
    const text = line.slice(at, end + 2);
    const variable = VARIABLE.exec(line.slice(at + 2, end).replace(/^-\s/, "").replace(/\s-$/, "").trim())?.[1];
    found.push({ start: at, end: end + 2, text, variable });
    if (variable === undefined) problems.push({ text, occurrence: occurrence(found, text), message: `the template \`${text}\` is not supported`, hint: SUPPORTED });
    at = end + 2;
  }
  const reading = readScript(line, found);
  const quoting = new Map(reading.placements.map((placement) => [placement.span, placement.quoting]));
  const refusals = nestedRefusals(reading, (span) => {
    const template = span as Found;
    return { variable: envName(template.variable ?? "VALUE"), text: template.text };
  });
  let text = "";
  let from = 0;
  for (const template of found) {
    text += line.slice(from, template.start);
    from = template.end;
    if (template.variable === undefined) {
      text += template.text;
      continue;
    }
    text += reference(envName(template.variable), quoting.get(template) ?? "none");
    const refusal = refusals.get(template);
    if (refusal !== undefined) problems.push({ text: template.text, occurrence: occurrence(found, template.text, template), ...refusal });
  }
  text += line.slice(from);
  const uses = found.filter((template) => template.variable !== undefined).map((template) => ({ variable: template.variable!, text: template.text }));
  return { text, uses, problems };
}

/** How many templates with this text come before `template` (or before the end) in the line. */
function occurrence(found: readonly Found[], text: string, template?: Found): number {
  const upTo = template === undefined ? found.length - 1 : found.indexOf(template);
  return found.slice(0, upTo).filter((other) => other.text === text).length;
}

/** The variable, quoted for where it stands: a value is then one word and never code to this shell. */
function reference(variable: string, quoting: Quoting): string {
  if (quoting === "double" || quoting === "heredoc") return `\${${variable}}`;
  if (quoting === "single") return `'"\${${variable}}"'`;
  return `"\${${variable}}"`;
}

/** The `run:` text for a task's rendered lines (see the file comment). */
export function scriptToRun(lines: readonly string[], allowFailure: boolean): string {
  const meaningful = lines.filter((line) => line.trim() !== "");
  if (meaningful.length === 0) return ":";
  if (allowFailure) return meaningful.join("\n");
  return meaningful.map((line, index) => (index === meaningful.length - 1 || onlyComments(line) ? line : guarded(line))).join("\n");
}

/**
 * `LINE || exit` ends the script with the line's own status (`a; b || exit`
 * tests b, whose status is the line's). Lines where the guard could attach
 * to the wrong thing (comments, a trailing `&` or `;`, heredocs, several
 * lines) are put in braces first.
 */
function guarded(line: string): string {
  const simple = !line.includes("\n") && !line.includes("#") && !line.includes("<<") && !/[&;|\\]\s*$/.test(line);
  return simple ? `${line} || exit` : `{ ${line}\n} || exit`;
}

/** A line that does nothing (an empty `{ }` would be a syntax error). */
function onlyComments(line: string): boolean {
  return line.split("\n").every((part) => part.trim() === "" || part.trim().startsWith("#"));
}
