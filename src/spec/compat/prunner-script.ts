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
 * (`"${SPIRE_ARG_NAME}"` outside quotes, `${…}` inside double quotes), so a
 * value is only ever a value.
 */

export interface TemplateUse {
  /** The variable named, e.g. `name` for `{{ .name }}`. */
  variable: string;
  /** The whole `{{ … }}` text, to point at it. */
  text: string;
}

export interface TemplateProblem {
  text: string;
  message: string;
  hint: string;
}

export interface RewrittenLine {
  text: string;
  uses: TemplateUse[];
  problems: TemplateProblem[];
}

type Quote = "none" | "single" | "double";

interface Context {
  quote: Quote;
  /** Open parentheses inside a `$( … )`, so that its own `)` is known. */
  parens: number;
  backquote: boolean;
}

const VARIABLE = /^\.([A-Za-z_][A-Za-z0-9_]*)$/;
const SUPPORTED = "Spire reads prunner templates of the form {{ .NAME }} only (each becomes a variable the script reads from its environment)";

/** Rewrites the `{{ .NAME }}` templates of one line; `envName` says which variable holds each value. */
export function rewriteTemplates(line: string, envName: (variable: string) => string): RewrittenLine {
  const uses: TemplateUse[] = [];
  const problems: TemplateProblem[] = [];
  // The innermost quoting decides; `$(` and backquotes start a fresh, unquoted context.
  const stack: Context[] = [{ quote: "none", parens: 0, backquote: false }];
  const open = (quote: Quote, backquote = false) => stack.push({ quote, parens: 0, backquote });
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const top = stack[stack.length - 1]!;
    const char = line[i]!;
    if (line.startsWith("{{", i)) {
      const end = line.indexOf("}}", i + 2);
      if (end < 0) {
        problems.push({ text: "{{", message: "a template `{{` that is never closed with `}}`", hint: "close it, or remove it" });
        return { text: out + line.slice(i), uses, problems };
      }
      const whole = line.slice(i, end + 2);
      const match = VARIABLE.exec(line.slice(i + 2, end).replace(/^-\s/, "").replace(/\s-$/, "").trim());
      if (match) {
        uses.push({ variable: match[1]!, text: whole });
        out += reference(envName(match[1]!), top.quote);
      } else {
        problems.push({ text: whole, message: `the template \`${whole}\` is not supported`, hint: SUPPORTED });
        out += whole;
      }
      i = end + 1;
      continue;
    }
    out += char;
    if (top.quote === "single") {
      if (char === "'") stack.pop();
    } else if (char === "\\") {
      out += line[i + 1] ?? "";
      i++;
    } else if (line.startsWith("$(", i)) {
      out += "(";
      i++;
      open("none");
    } else if (char === "`") {
      if (top.backquote) stack.pop();
      else open("none", true);
    } else if (top.quote === "double") {
      if (char === '"') stack.pop();
    } else if (char === "'") open("single");
    else if (char === '"') open("double");
    else if (char === "(") top.parens++;
    else if (char === ")" && top.parens > 0) top.parens--;
    else if (char === ")" && !top.backquote && stack.length > 1) stack.pop();
  }
  return { text: out, uses, problems };
}

function reference(variable: string, quote: Quote): string {
  if (quote === "double") return `\${${variable}}`;
  if (quote === "single") return `'"\${${variable}}"'`;
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
