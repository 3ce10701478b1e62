/**
 * A crontab job's command as a `run:` text that does what cron did with it,
 * and a readable pipeline name made from it. Pure: no I/O.
 *
 * cron's `%` rule (cronie src/do_command.c): the first `%` not escaped by a
 * backslash ends the command and the rest is the command's standard input,
 * each further `%` a newline, ended with a newline; `\%` is a `%` in both
 * parts, and any other backslash stays as it is.
 */

export interface SplitCommand {
  /** What cron hands to `sh -c`. */
  command: string;
  /** The standard input cron wrote to it (undefined: none, an empty pipe). */
  stdin?: string;
}

export function splitPercent(written: string): SplitCommand {
  let command = "";
  let index = 0;
  for (; index < written.length; index++) {
    const char = written[index]!;
    if (char === "\\" && index + 1 < written.length) {
      const next = written[index + 1]!;
      command += next === "%" ? "%" : `\\${next}`;
      index++;
    } else if (char === "%") {
      break;
    } else {
      command += char;
    }
  }
  if (index >= written.length) return { command };
  const input = written.slice(index + 1);
  if (input === "") return { command };
  // Here a backslash is not a pair: it holds back and escapes what follows it, as cron writes the input.
  let stdin = "";
  let escaped = false;
  for (const char of input) {
    let out = char;
    if (escaped) {
      if (char !== "%") stdin += "\\";
    } else if (char === "%") {
      out = "\n";
    }
    escaped = out === "\\";
    if (!escaped) stdin += out;
  }
  if (escaped) stdin += "\\";
  // cron ends the input with a newline (but after a lone final backslash; the here-document adds one there too).
  return { command, stdin: stdin.endsWith("\n") ? stdin : `${stdin}\n` };
}

/**
 * The command with its standard input as a here-document: a quoted
 * delimiter, so the shell expands nothing in it, and a brace group, so the
 * whole command line reads it as cron's `sh -c` did. A here-document ends
 * with a newline, as cron's input always does.
 */
export function withStdin(command: string, stdin: string): string {
  const body = stdin.slice(0, -1);
  const lines = new Set(body.split("\n"));
  let delimiter = "CRON_STDIN";
  for (let count = 2; lines.has(delimiter); count++) delimiter = `CRON_STDIN_${count}`;
  return `{\n${command}\n} <<'${delimiter}'\n${body}\n${delimiter}\n`;
}

/** A command that ends in an odd number of backslashes would join the next line of a here-document's brace group. */
export function endsInEscape(command: string): boolean {
  return /(?:^|[^\\])(?:\\\\)*\\$/.test(command);
}

// Programs that run another program (the name comes from what they run), with their options that take a value.
const WRAPPERS = new Map<string, string[]>([
  ["nice", ["-n"]],
  ["ionice", ["-c", "-n", "-p"]],
  ["nohup", []],
  ["timeout", ["-s", "-k"]],
  ["env", ["-u", "-C", "-S"]],
  ["sudo", ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"]],
  ["doas", ["-u", "-C"]],
  ["flock", ["-w", "-E", "-c"]],
  ["chronic", []],
  ["time", ["-f", "-o"]],
  ["setsid", []],
  ["stdbuf", ["-i", "-o", "-e"]],
  ["exec", ["-a"]],
  ["command", []],
  ["caffeinate", ["-t", "-w"]],
  ["systemd-cat", ["-t", "-p"]],
  ["run-one", []],
  ["lckdo", []],
]);
// Programs that run a script or a folder named by their first operand.
const RUNNERS = /^(sh|bash|dash|zsh|ksh|fish|python[0-9.]*|pypy[0-9.]*|node|deno|bun|perl|ruby|php[0-9.]*|Rscript|lua|tclsh|osascript|run-parts|uv|poetry|pipenv)$/;
// Commands that set the scene rather than do the job.
const SCENERY = new Set(["cd", "test", "[", "[[", "sleep", "true", ":", "export", "set", "umask", "source", ".", "ulimit"]);

/**
 * A readable name for a job: the script or program its command runs
 * (`$HOME/bin/backup.sh --full` → `backup-sh`, `cd /srv && python3
 * manage.py clearsessions` → `manage-py`), or `` when none stands out.
 */
export function nameOfCommand(command: string): string {
  const commands = simpleCommands(command);
  for (const words of commands) {
    const name = programOf(words);
    if (name !== undefined && !SCENERY.has(name)) return slug(name);
  }
  const first = commands.map(programOf).find((name) => name !== undefined);
  return first === undefined ? "" : slug(first);
}

/** The words of each simple command, split at `;`, `&&`, `||`, `|`, `&` and brackets; quotes taken off. */
function simpleCommands(command: string): string[][] {
  const all: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) all.push(words);
    words = [];
  };
  for (let index = 0; index < command.length; index++) {
    const char = command[index]!;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else word = (word ?? "") + char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= "";
    } else if (char === "\\" && index + 1 < command.length) {
      word = (word ?? "") + command[++index];
    } else if (char === "#" && word === undefined) {
      break;
    } else if (/[;&|(){}<>\n]/.test(char)) {
      endCommand();
      // a redirection's target is no command: skip it
      if (char === "<" || char === ">") {
        const target = /^[>&]*\s*[^\s;&|()]*/.exec(command.slice(index + 1));
        index += target ? target[0].length : 0;
      }
    } else if (/\s/.test(char)) {
      endWord();
    } else {
      word = (word ?? "") + char;
    }
  }
  endCommand();
  return all;
}

/** The program of a simple command, or the script a runner runs: its base name. */
function programOf(words: string[]): string | undefined {
  let at = 0;
  while (at < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[at]!)) at++;
  while (at < words.length && WRAPPERS.has(baseName(words[at]!))) {
    const wrapper = baseName(words[at]!);
    const withValue = WRAPPERS.get(wrapper)!;
    at++;
    while (at < words.length && (words[at]!.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[at]!))) {
      at += withValue.includes(words[at]!) ? 2 : 1;
    }
    // timeout DURATION and flock FILE take one operand before the command
    if ((wrapper === "timeout" || wrapper === "flock" || wrapper === "lckdo") && at < words.length) at++;
  }
  const program = words[at];
  if (program === undefined) return undefined;
  const name = baseName(program);
  if (!RUNNERS.test(name)) return name;
  for (let next = at + 1; next < words.length; next++) {
    const word = words[next]!;
    if (word === "-c" || word === "-e") return name;
    if (word === "-m" && next + 1 < words.length) return words[next + 1]!;
    if (!word.startsWith("-") && !["run", "--script"].includes(word)) return baseName(word);
  }
  return name;
}

function baseName(path: string): string {
  return path.replace(/\/+$/, "").split("/").pop() ?? path;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}
