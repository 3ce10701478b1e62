/** Text put into a completion script as one word that the shell reads back unchanged: never as code. */

/** bash and zsh: single quotes, in which nothing is special but the quote itself. */
export function posixQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** fish: single quotes, in which a backslash escapes a quote or a backslash. */
export function fishQuote(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** A description on one short line: shells show it beside a candidate. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
