/**
 * One word for a POSIX shell: left bare when it holds nothing a shell would
 * read specially, else in single quotes (a quote inside becomes '\''). `~`
 * is quoted too: bash expands it after `=` even in plain arguments.
 */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_/.,:=@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(words: string[]): string {
  return words.map(shellQuote).join(" ");
}
